import ServiceLifecycle

/// Closes the fast path's idle upstream connections at shutdown.
struct KeepAliveUpstreamService: Service {
    let clients: [KeepAliveUpstreamClient]

    func run() async throws {
        try? await gracefulShutdown()
        for client in self.clients {
            await client.shutdown()
        }
    }
}
