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

/// Lets only tokens with the role `admin` through: 403 `Require Admin Role!` otherwise. The account
/// changes check again, under their lock, that the caller still is an enabled admin.
struct RequireAdminRoleMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard try context.requireClaims().hasRole(Role.admin.rawValue) else { throw APIError.requireAdmin }
        return try await next(request, context)
    }
}
