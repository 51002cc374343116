import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// The three real services on loopback ports, against real PostgreSQL and Redis, driven through
/// the gateway exactly as a client would.
final class RunningSystem: Sendable {
    struct Ports: Sendable {
        var gateway: Int
        var auth: Int
        var content: Int
        var gatewayMetrics: Int
        var authMetrics: Int
        var contentMetrics: Int
    }

    static let adminUsername = "rootadmin"
    static let adminPassword = "admin-" + UUID().uuidString

    let ports: Ports
    let databaseURL: String
    let auth: ServiceProcess
    let content: ServiceProcess
    let gateway: ServiceProcess
    let http: HTTPClient

    var gatewayURL: String { "http://127.0.0.1:\(self.ports.gateway)" }
    var contentURL: String { "http://127.0.0.1:\(self.ports.content)" }

    /// Starts the system, runs `body`, and always stops the processes afterwards.
    static func with<T>(
        databaseURL: String? = nil,
        environment extra: [String: String] = [:],
        _ body: (RunningSystem) async throws -> T
    ) async throws -> T {
        let system = try await RunningSystem(databaseURL: databaseURL, environment: extra)
        do {
            let result = try await body(system)
            await system.stop()
            return result
        } catch {
            await system.stop()
            throw error
        }
    }

    private init(databaseURL: String?, environment extra: [String: String]) async throws {
        self.ports = Ports(
            gateway: try await TestEnvironment.freePort(),
            auth: try await TestEnvironment.freePort(),
            content: try await TestEnvironment.freePort(),
            gatewayMetrics: try await TestEnvironment.freePort(),
            authMetrics: try await TestEnvironment.freePort(),
            contentMetrics: try await TestEnvironment.freePort()
        )
        self.databaseURL = try databaseURL ?? TestEnvironment.createDatabase()
        let logs = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let authURL = "http://127.0.0.1:\(self.ports.auth)"
        var environment: [String: String] = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "LOG_LEVEL": "info",
            "LOG_FORMAT": "json",
            "GATEWAY_METRICS_PORT": String(self.ports.gatewayMetrics),
            "AUTH_METRICS_PORT": String(self.ports.authMetrics),
            "CONTENT_METRICS_PORT": String(self.ports.contentMetrics),
            "DATABASE_URL": self.databaseURL,
            "REDIS_URL": try TestEnvironment.require("TEST_REDIS_URL"),
            "JWT_PRIVATE_KEY_FILE": try TestEnvironment.require("JWT_PRIVATE_KEY_FILE"),
            "AUTH_PORT": String(self.ports.auth),
            "CONTENT_PORT": String(self.ports.content),
            "GATEWAY_PORT": String(self.ports.gateway),
            "AUTH_SERVICE_URL": authURL,
            "CONTENT_SERVICE_URL": "http://127.0.0.1:\(self.ports.content)",
            "CORS_ALLOWED_ORIGINS": "http://localhost:8081,https://app.example.com",
            "BOOTSTRAP_ADMIN_USERNAME": Self.adminUsername,
            "BOOTSTRAP_ADMIN_EMAIL": "rootadmin@example.com",
            "BOOTSTRAP_ADMIN_PASSWORD": Self.adminPassword,
            // The shared suite signs up far more accounts from 127.0.0.1 than any real client would.
            "RATE_LIMIT_SIGNUP": "100000",
            "RATE_LIMIT_SIGNIN": "100000",
            "RATE_LIMIT_REFRESH": "100000",
        ]
        environment.merge(extra) { _, new in new }
        self.auth = try ServiceProcess(name: "auth", executable: try TestEnvironment.binary("AuthService"), environment: environment, logDirectory: logs)
        self.content = try ServiceProcess(name: "content", executable: try TestEnvironment.binary("ContentService"), environment: environment, logDirectory: logs)
        self.gateway = try ServiceProcess(name: "gateway", executable: try TestEnvironment.binary("Gateway"), environment: environment, logDirectory: logs)
        // Tests fire dozens of requests at once: a wide pool, and a long wait for a connection from it.
        self.http = HTTPClient(configuration: .init(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10), read: .seconds(20)),
            connectionPool: .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        ))
        do {
            for (service, port) in [(self.auth, self.ports.auth), (self.content, self.ports.content), (self.gateway, self.ports.gateway)] {
                try await self.waitUntilReady(service, url: "http://127.0.0.1:\(port)/health/ready")
            }
        } catch {
            await self.stop()
            throw error
        }
    }

    func stop() async {
        await self.gateway.stop()
        await self.content.stop()
        await self.auth.stop()
        try? await self.http.shutdown()
    }

    private func waitUntilReady(_ service: ServiceProcess, url: String, timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            try #require(service.isRunning, "\(service.name) exited during start:\n\(service.logTail())")
            if let response = try? await self.send(.GET, url: url), response.status == 200 {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("\(service.name) not ready within \(timeout):\n\(service.logTail())")
        throw CancellationError()
    }

    // MARK: HTTP

    struct Reply: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: String

        /// The body as a JSON object; fails the test when it is not one.
        func json() throws -> [String: Any] {
            let object = try JSONSerialization.jsonObject(with: Data(self.body.utf8))
            return try #require(object as? [String: Any], "not a JSON object: \(self.body)")
        }

        func string(_ key: String) throws -> String {
            try #require(try self.json()[key] as? String, "no string \(key) in \(self.body)")
        }

        var message: String? {
            (try? self.json())?["message"] as? String
        }
    }

    func send(
        _ method: HTTPMethod,
        url: String,
        headers: [(String, String)] = [],
        body: String? = nil
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers {
            request.headers.add(name: name, value: value)
        }
        if let body {
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await self.http.execute(request, timeout: .seconds(20))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, body: String(buffer: bytes))
    }

    /// The auth service's Prometheus counter `name` with the label `outcome="label"`, 0 when absent.
    func authCounter(_ name: String, outcome: String) async throws -> Int {
        let reply = try await self.send(.GET, url: "http://127.0.0.1:\(self.ports.authMetrics)/metrics")
        let prefix = "\(name){outcome=\"\(outcome)\"} "
        let line = reply.body.split(separator: "\n").first { $0.hasPrefix(prefix) }
        return line.flatMap { Double($0.dropFirst(prefix.count)) }.map { Int($0) } ?? 0
    }

    /// A request to the gateway.
    func call(_ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], json: String? = nil) async throws -> Reply {
        var headers = headers
        if json != nil, !headers.contains(where: { $0.0.lowercased() == "content-type" }) {
            headers.append(("Content-Type", "application/json"))
        }
        return try await self.send(method, url: self.gatewayURL + path, headers: headers, body: json)
    }
}
