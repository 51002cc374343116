import Common
import Hummingbird
import NIOCore
import NIOPosix

/// One log line per request: method, path, status and duration, with the request id. Headers and
/// bodies are never logged, so no token or password can leak here. Written through ``RequestLog``,
/// which batches lines per event loop.
package struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    private let log: RequestLog?

    package init(log: RequestLog?) {
        self.log = log
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let log = self.log else { return try await next(request, context) }
        let started = NIODeadline.now()
        let response = try await next(request, context)
        let requestID: String =
            if case .string(let id) = context.logger[metadataKey: "request_id"] { id } else { context.id }
        log.record(
            RequestLogEntry(
                method: request.method.rawValue, path: Substring(request.uri.path), status: response.status.code,
                durationNanoseconds: UInt64(max(0, (NIODeadline.now() - started).nanoseconds)), requestID: requestID
            ),
            on: MultiThreadedEventLoopGroup.currentEventLoop
        )
        return response
    }
}
