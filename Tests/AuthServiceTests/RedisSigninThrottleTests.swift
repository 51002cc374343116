@testable import AuthService
import Common
import Foundation
import Testing

@Suite("RedisSigninThrottle against a real Redis")
struct RedisSigninThrottleTests {
    @Test("free failures pass, the next one locks with a doubling TTL, and a success clears everything")
    func locksAndClears() async throws {
        try await withTestRedis { redis in
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
        try await withTestRedis { redis in
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
    @Test("a lock with less than half a second left still holds, with Retry-After 1 (TTL would round it to 0)")
    func shortRemainderStillLocks() async throws {
        try await withTestRedis { redis in
            let throttle = RedisSigninThrottle(redis: redis, policy: SigninThrottlePolicy())
            let name = "user-\(UUID().uuidString)"
            // The end of a 1 s lock, read at once: one round trip, far less than the 450 ms left.
            try await redis.send("SET", RedisSigninThrottle.lockKey(name), "1", "PX", "450")
            #expect(try await throttle.lockedFor(username: name) == 1)
        }
    }

    @Test("every spelling of a name shares one budget: the lock set for straße holds for STRASSE and ｓｔｒａｓｓｅ")
    func spellingsShareALock() async throws {
        try await withTestRedis { redis in
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
