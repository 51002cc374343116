import Common
import HTTPTypes
import Hummingbird

/// Limits signup, signin and refresh attempts per client address (counted in Redis, shared by every
/// gateway replica). When Redis is unreachable the limit is not enforced: public routes keep working.
struct ClientRateLimit: Sendable {
    let limiter: RateLimiter
    let resolver: ClientAddressResolver
    let limits: [RateLimitedAction: Int]
    let window: Int

    func check(_ action: RateLimitedAction, request: Request, context: AppRequestContext) async throws {
        guard let limit = self.limits[action] else { return }
        let client = self.resolver.clientAddress(peer: context.remoteAddress, headers: request.headers)
        let decision: RateLimitDecision
        do {
            decision = try await self.limiter.hit("\(action.rawValue):ip:\(client)", limit: limit, window: self.window)
        } catch {
            context.logger.warning("Rate limit not checked: Redis unavailable", metadata: ["error": "\(error)"])
            return
        }
        if case .limited(let retryAfter) = decision {
            context.logger.info("Rate limited", metadata: ["action": "\(action.rawValue)", "client": "\(client)"])
            AuthEvents.rateLimited(action.rawValue)
            throw APIError.tooManyRequests(retryAfter: retryAfter)
        }
    }
}
