import Common
import HTTPTypes
import Hummingbird

/// CORS with an allow-list: an allowed origin is echoed with `Vary: Origin`, any other origin gets no
/// `Access-Control-Allow-Origin`. Preflights are answered here, before any token check.
struct CORSMiddleware<Context: RequestContext>: RouterMiddleware {
    static var allowedMethods: String { "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS" }
    static var allowedHeaders: String { "x-access-token, authorization, content-type, x-request-id" }
    static var exposedHeaders: String { "x-request-id, retry-after" }

    private let allowedOrigins: Set<String>

    init(allowedOrigins: [String]) {
        self.allowedOrigins = Set(allowedOrigins)
    }

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let origin = request.headers[.origin]
        let allowedOrigin = origin.flatMap { self.allowedOrigins.contains($0) ? $0 : nil }
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var headers: HTTPFields = [.vary: "Origin"]
            if let allowedOrigin {
                headers[.accessControlAllowOrigin] = allowedOrigin
                headers[.accessControlAllowMethods] = Self.allowedMethods
                headers[.accessControlAllowHeaders] = Self.allowedHeaders
                headers[.accessControlAllowCredentials] = "true"
                headers[.accessControlMaxAge] = "600"
            }
            return Response(status: .noContent, headers: headers)
        }
        var response = try await next(request, context)
        response.headers[.vary] = "Origin"
        if let allowedOrigin {
            response.headers[.accessControlAllowOrigin] = allowedOrigin
            response.headers[.accessControlAllowCredentials] = "true"
            response.headers[.accessControlExposeHeaders] = Self.exposedHeaders
        }
        return response
    }
}
