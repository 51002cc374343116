import AsyncHTTPClient
import ServiceLifecycle

/// Owns an `HTTPClient` for the service group and shuts it down after graceful shutdown.
package struct HTTPClientService: Service {
    package let client: HTTPClient

    package init(client: HTTPClient) {
        self.client = client
    }

    package func run() async throws {
        try? await gracefulShutdown()
        try await self.client.shutdown()
    }
}
