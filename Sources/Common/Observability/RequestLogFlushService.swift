import ServiceLifecycle

/// Writes the request lines still buffered when the service stops, so a clean shutdown loses none.
package struct RequestLogFlushService: Service {
    private let log: RequestLog?

    package init(log: RequestLog?) {
        self.log = log
    }

    package func run() async throws {
        try? await gracefulShutdown()
        await self.log?.flush()
    }
}
