import Hummingbird

/// Gives every request the configured body limit (`MAX_REQUEST_BODY_BYTES`).
struct RequestBodyLimitMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    static let defaultLimit = 65_536

    let limit: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.maxUploadSize = self.limit
        return try await next(request, context)
    }
}
