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
}
