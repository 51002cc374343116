@testable import AuthService
import Common
import Foundation
import Testing
import TestSupport

@Suite("RedisSigninThrottle against a real Redis")
struct RedisSigninThrottleTests {
    @Test("free failures pass, the next one locks with a doubling TTL, and a success clears everything")
    func locksAndClears() async throws {
        try await TestRedis.withClient { redis in
            let throttle = RedisSigninThrottle(redis: redis, policy: SigninThrottlePolicy(freeFailures: 3, maximumLock: 900))
            let name = "user-\(UUID().uuidString)"

            for _ in 0..<2 {
                try await throttle.recordFailure(username: name)
                #expect(try await throttle.lockedFor(username: name) == nil)
            }
            // Failures 3 to 7 lock for 1, 2, 4, 8 and 16 s; TTLs are read with slack for a slow machine.
            for _ in 3...7 {
                try await throttle.recordFailure(username: name)
            }
            let afterSeven = try #require(try await throttle.lockedFor(username: name))
            #expect((13...16).contains(afterSeven))
            try await throttle.recordFailure(username: name)
            let afterEight = try #require(try await throttle.lockedFor(username: name.uppercased()))
            #expect((29...32).contains(afterEight))

            try await throttle.recordSuccess(username: name)
            #expect(try await throttle.lockedFor(username: name) == nil)
            try await throttle.recordFailure(username: name)
            #expect(try await throttle.lockedFor(username: name) == nil)
            try await throttle.recordSuccess(username: name)
        }
    }

    @Test("the lock never exceeds the maximum")
    func lockIsCapped() async throws {
        try await TestRedis.withClient { redis in
            let throttle = RedisSigninThrottle(redis: redis, policy: SigninThrottlePolicy(freeFailures: 1, maximumLock: 5))
            let name = "user-\(UUID().uuidString)"
            for _ in 0..<40 {
                try await throttle.recordFailure(username: name)
            }
            let lock = try #require(try await throttle.lockedFor(username: name))
            #expect((1...5).contains(lock))
            try await throttle.recordSuccess(username: name)
        }
    }
    @Test(
        "a lock's remaining time rounds up to whole seconds, so its last half second still locks (TTL rounded it to 0)",
        arguments: [(450, 1), (1, 1), (999, 1), (1000, 1), (1001, 2), (14_500, 15), (0, nil), (-1, nil), (-2, nil)] as [(Int, Int?)]
    )
    func lockSecondsRoundUp(milliseconds: Int, seconds: Int?) {
        #expect(RedisSigninThrottle.lockSeconds(remainingMilliseconds: milliseconds) == seconds)
    }

    @Test("a lock read from Redis reports the time left in it")
    func lockReadFromRedis() async throws {
        try await TestRedis.withClient { redis in
            let throttle = RedisSigninThrottle(redis: redis, policy: SigninThrottlePolicy())
            let name = "user-\(UUID().uuidString)"
            try await redis.send("SET", RedisSigninThrottle.lockKey(name), "1", "PX", "30000")
            #expect((25...30).contains(try #require(try await throttle.lockedFor(username: name))))
        }
    }

    @Test("every spelling of a name shares one budget: the lock set for straße holds for STRASSE and ｓｔｒａｓｓｅ")
    func spellingsShareALock() async throws {
        try await TestRedis.withClient { redis in
            let throttle = RedisSigninThrottle(redis: redis, policy: SigninThrottlePolicy(freeFailures: 1, maximumLock: 900))
            let suffix = UUID().uuidString.prefix(8).lowercased()
            // Six failures: a 32 s lock, long enough for a slow machine.
            for _ in 0..<6 { try await throttle.recordFailure(username: "straße\(suffix)") }
            #expect(try await throttle.lockedFor(username: "STRASSE\(suffix.uppercased())") != nil)
            #expect(try await throttle.lockedFor(username: "ｓｔｒａｓｓｅ\(suffix)") != nil)
            try await throttle.recordSuccess(username: "Strasse\(suffix)")
            #expect(try await throttle.lockedFor(username: "straße\(suffix)") == nil)
        }
    }
}
