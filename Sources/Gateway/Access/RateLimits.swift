import Common
import Logging
import NIOCore
import Redis

/// The verdict on one attempt.
enum RateLimitDecision: Sendable, Equatable {
    case allowed
    /// Over the limit; try again after this many seconds.
    case limited(retryAfter: Int)
}

/// Limits signup, signin, refresh and the mail routes' attempts per client address with fixed-window
/// counters in Redis, so every gateway replica counts the same attempts. When Redis is unreachable the
/// limit is not enforced: public routes keep working.
struct ClientRateLimit: Sendable {
    let redis: RedisClient
    let limits: [RateLimitedAction: Int]
    let window: Int

    /// The limit of `action`: its own when configured, else that of the action it is limited like.
    func limit(of action: RateLimitedAction) -> Int? {
        self.limits[action] ?? action.limitedLike.flatMap { self.limits[$0] }
    }

    /// Counts one attempt of `action` by `client` and says whether it may go on.
    func check(_ action: RateLimitedAction, client: String, logger: Logger) async -> RateLimitDecision {
        guard let limit = self.limit(of: action) else { return .allowed }
        do {
            let reply = try await self.redis.eval(
                Self.script, keys: ["ratelimit:\(action.rawValue):ip:\(client)"], arguments: [String(limit), String(self.window)]
            )
            guard let values = reply.array, values.count == 2, let allowed = values[0].int, let ttl = values[1].int else {
                throw RedisError(.unexpectedReply, "rate limit")
            }
            if allowed == 1 { return .allowed }
            logger.info("Rate limited", metadata: ["action": "\(action.rawValue)", "client": "\(client)"])
            AuthMetrics.rateLimited(action.rawValue)
            return .limited(retryAfter: max(ttl, 1))
        } catch {
            logger.warning("Rate limit not checked: Redis unavailable", metadata: ["error": "\(error)"])
            return .allowed
        }
    }

    static let script = """
        local count = redis.call('INCR', KEYS[1])
        if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
        if count > tonumber(ARGV[1]) then return {0, redis.call('TTL', KEYS[1])} end
        return {1, 0}
        """
}

extension RateLimitedAction {
    /// The action whose configured limit this one shares, each on a counter of its own: the mail
    /// routes are limited like signin (`RATE_LIMIT_SIGNIN`), being as much worth guessing at.
    var limitedLike: RateLimitedAction? {
        switch self {
        case .passwordForgot, .passwordReset, .emailVerify: .signin
        case .signup, .signin, .refresh: nil
        }
    }
}
