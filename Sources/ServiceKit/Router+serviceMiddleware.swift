import Common
import Hummingbird

extension Router where Context: EventLoopRequestContext {
    /// The middleware every service runs first, outermost first: work kept on the connection's event
    /// loop, the request id (so the log line and metrics below carry it), one log line per request,
    /// request metrics, and the contract's JSON errors (inside, so the log and metrics see the final
    /// status). `requestLog` is `nil` when request lines are not logged. With `tracing` (``TraceExport``),
    /// a span per request continues the caller's trace, named by the route, its query's `q` redacted.
    package func addServiceMiddleware(requestLog: RequestLog?, tracing: Bool = false) {
        self.addMiddleware {
            EventLoopExecutorMiddleware()
            RequestIDMiddleware()
            if tracing {
                TracingMiddleware(recordingHeaders: [.requestID], redactingQueryParameters: ["q"])
            }
            RequestLogMiddleware(log: requestLog)
            MetricsMiddleware()
            ErrorMiddleware()
        }
    }
}
