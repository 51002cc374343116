import Common
import Foundation
import Testing

@Suite("RateLimiter counts attempts per key in a fixed window, in Redis")
struct RateLimiterTests {
    @Test("up to the limit is allowed, then limited with a Retry-After within the window")
    func limits() async throws {
        try await withRedisClient(try testRedisConfiguration()) { redis throws in
            let limiter = RateLimiter(redis: redis)
            let key = "test:\(UUID().uuidString)"
            for _ in 0..<3 {
                #expect(try await limiter.hit(key, limit: 3, window: 60) == .allowed)
            }
            let decision = try await limiter.hit(key, limit: 3, window: 60)
            guard case .limited(let retryAfter) = decision else {
                Issue.record("expected a limit, got \(decision)")
                return
            }
            #expect((1...60).contains(retryAfter))
            try await redis.send("DEL", "ratelimit:" + key)
        }
    }

    @Test("different keys are counted apart")
    func keysAreIndependent() async throws {
        try await withRedisClient(try testRedisConfiguration()) { redis throws in
            let limiter = RateLimiter(redis: redis)
            let first = "test:\(UUID().uuidString)"
            let second = "test:\(UUID().uuidString)"
            #expect(try await limiter.hit(first, limit: 1, window: 60) == .allowed)
            #expect(try await limiter.hit(first, limit: 1, window: 60) != .allowed)
            #expect(try await limiter.hit(second, limit: 1, window: 60) == .allowed)
            try await redis.send("DEL", "ratelimit:" + first, "ratelimit:" + second)
        }
    }

    @Test("concurrent attempts are counted exactly: of 40 against a limit of 10, 10 pass")
    func concurrentHits() async throws {
        try await withRedisClient(try testRedisConfiguration()) { redis throws in
            let limiter = RateLimiter(redis: redis)
            let key = "test:\(UUID().uuidString)"
            let allowed = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<40 {
                    group.addTask { try await limiter.hit(key, limit: 10, window: 60) == .allowed }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(allowed == 10)
            try await redis.send("DEL", "ratelimit:" + key)
        }
    }
}
