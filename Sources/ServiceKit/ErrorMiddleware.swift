import Common
import Hummingbird
import Logging
import NIOCore

/// Turns every error into the contract's `{"message": ...}` JSON.
///
/// Framework errors (unknown route, body too large, bad request) keep their status; anything else is
/// logged with the request id and answered with a bare 500, so no internal detail reaches a client.
package struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    package init() {}

    package func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response()
        } catch let error as HTTPError {
            return Self.apiError(for: error).response()
        } catch is NIOTooManyBytesError {
            // `request.body.collect(upTo:)` over the limit: the framework means 413, not a failure of ours.
            return APIError.bodyTooLarge.response()
        } catch {
            context.logger.error("Unhandled error", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            return APIError.internalError.response()
        }
    }

    /// Maps the framework's own errors onto our messages, never echoing their text.
    static func apiError(for error: HTTPError) -> APIError {
        switch error.status {
        case .notFound: .notFound
        case .contentTooLarge: .bodyTooLarge
        case .badRequest: .malformedBody
        case .methodNotAllowed: APIError(.methodNotAllowed, "Method not allowed")
        case .unsupportedMediaType: APIError(.unsupportedMediaType, "Unsupported content type")
        default:
            error.status.code >= 500
                ? .internalError : APIError(error.status, error.status.reasonPhrase)
        }
    }
}
