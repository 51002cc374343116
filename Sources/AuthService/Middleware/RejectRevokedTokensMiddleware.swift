import Common
import Hummingbird

/// Refuses an access token that was revoked (401 `Unauthorized!`), asked of Redis itself. The gateway
/// refuses it too, but another gateway's copy of the record can lag its feed by a moment, and the
/// routes behind this change accounts: a demoted admin's token must not act in that moment.
struct RejectRevokedTokensMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let sessions: any SessionStore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard try await !self.sessions.isRevoked(try context.requireClaims()) else {
            AuthMetrics.tokenRefused("revoked")
            throw APIError.unauthorized
        }
        return try await next(request, context)
    }
}
