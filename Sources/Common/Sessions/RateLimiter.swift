/// The verdict on one attempt.
package enum RateLimitDecision: Sendable, Equatable {
    case allowed
    /// Over the limit; try again after this many seconds.
    case limited(retryAfter: Int)
}

/// Fixed-window counters in Redis, so every replica counts the same attempts.
package struct RateLimiter: Sendable {
    private let redis: RedisClient

    package init(redis: RedisClient) {
        self.redis = redis
    }

    /// Counts one attempt against `key`: at most `limit` per `window` seconds.
    package func hit(_ key: String, limit: Int, window: Int) async throws -> RateLimitDecision {
        let reply = try await self.redis.eval(Self.script, keys: ["ratelimit:" + key], arguments: [String(limit), String(window)])
        guard let values = reply.array, values.count == 2, let allowed = values[0].int, let ttl = values[1].int else {
            throw RedisError(.unexpectedReply, "rate limit")
        }
        return allowed == 1 ? .allowed : .limited(retryAfter: max(ttl, 1))
    }

    static let script = """
        local count = redis.call('INCR', KEYS[1])
        if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
        if count > tonumber(ARGV[1]) then return {0, redis.call('TTL', KEYS[1])} end
        return {1, 0}
        """
}
