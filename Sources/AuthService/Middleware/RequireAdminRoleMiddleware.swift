import Common
import Hummingbird

/// Lets only tokens with the role `admin` through: 403 `Require Admin Role!` otherwise. The account
/// changes check again, under their lock, that the caller still is an enabled admin.
struct RequireAdminRoleMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard try context.requireClaims().hasRole(Role.admin.rawValue) else { throw APIError.requireAdmin }
        return try await next(request, context)
    }
}
