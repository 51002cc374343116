import Hummingbird

extension Router {
    /// The middleware every service runs first, outermost first: the request id (so the log line
    /// and metrics below carry it), one log line per request, request metrics, and the contract's
    /// JSON errors (inside, so the log and metrics see the final status).
    package func addServiceMiddleware() {
        self.addMiddleware {
            RequestIDMiddleware()
            RequestLogMiddleware()
            MetricsMiddleware()
            ErrorMiddleware()
        }
    }
}
