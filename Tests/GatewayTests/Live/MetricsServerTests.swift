import Common
@testable import Gateway
import Logging
import NIOCore
import Prometheus
import Testing

@Suite("The gateway's metrics port: GET /metrics in Prometheus's text format, and nothing else")
struct MetricsServerTests {
    /// A metrics server on a free loopback port, over a registry holding one counter.
    private func withServer(_ body: (Int) async throws -> Void) async throws {
        let registry = PrometheusCollectorRegistry()
        registry.makeCounter(name: "gateway_test_counter").increment(by: Int64(3))
        let server = MetricsServer(registry: registry, address: ListenAddress(host: "127.0.0.1", port: 0), logger: Logger(label: "test"))
        let channel = try await server.bind()
        defer { channel.close(promise: nil) }
        try await body(try #require(channel.localAddress?.port))
    }

    @Test("GET /metrics answers the registry's text and closes the connection")
    func metrics() async throws {
        try await self.withServer { port in
            let client = try await RawClient.connect(port: port)
            try await client.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.header("content-type") == "text/plain; version=0.0.4; charset=utf-8")
            #expect(response.text.contains("gateway_test_counter 3"), "\(response.text)")
            #expect(try await client.isClosed(within: .seconds(2)))
        }
    }

    @Test("another path is 404 and another method 405, both JSON", arguments: [("GET /api/test/all", 404), ("POST /metrics", 405)])
    func elsewhere(requestLine: String, status: Int) async throws {
        try await self.withServer { port in
            let client = try await RawClient.connect(port: port)
            try await client.send("\(requestLine) HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.status == status)
            #expect(response.header("content-type") == "application/json; charset=utf-8")
            #expect(try await client.isClosed(within: .seconds(2)))
        }
    }

    @Test("bytes that are not HTTP close the connection")
    func garbage() async throws {
        try await self.withServer { port in
            let client = try await RawClient.connect(port: port)
            try await client.send("\u{1}\u{2} nonsense\r\n\r\n")
            #expect(try await client.isClosed(within: .seconds(2)))
        }
    }
}
