import Foundation
import NIOPosix
import Testing

/// What `make test` hands the end-to-end tests; a missing value fails the test loudly.
enum TestEnvironment {
    static func require(_ name: String) throws -> String {
        let value = ProcessInfo.processInfo.environment[name]
        return try #require(value, "\(name) must be set: run the suite through `make test`")
    }

    static func binary(_ name: String) throws -> URL {
        let url = URL(fileURLWithPath: try self.require("SERVICE_BIN_DIR")).appendingPathComponent(name)
        try #require(FileManager.default.isExecutableFile(atPath: url.path), "\(url.path) is not built")
        return url
    }

    /// A loopback port nobody listens on right now and no other system of this test run was given,
    /// below the kernel's ephemeral range (32768 and up): a port from that range can be taken as the
    /// local end of any outgoing connection between this check and the service's bind.
    static func freePort() async throws -> Int {
        for _ in 0..<200 {
            let candidate = Int.random(in: 20_000..<32_000)
            guard await PortRegistry.shared.claim(candidate) else { continue }
            if let channel = try? await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(host: "127.0.0.1", port: candidate).get()
            {
                try await channel.close()
                return candidate
            }
        }
        Issue.record("no free port in 20000..<32000")
        throw CancellationError()
    }

    /// Runs `psql` against the test server (admin statements such as CREATE DATABASE).
    static func psql(_ url: String, _ sql: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        try #require(process.terminationStatus == 0, "psql failed: \(message)")
    }

    /// A fresh database on the test server, so each system starts from nothing.
    static func createDatabase() throws -> String {
        let base = try self.require("TEST_DATABASE_URL")
        let name = "e2e_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        try self.psql(base, "CREATE DATABASE \(name)")
        var components = try #require(URLComponents(string: base))
        components.path = "/" + name
        return try #require(components.string)
    }
}

/// Ports already handed out in this test process: systems start concurrently, and two of them
/// must never be given the same port (one service would fail to bind, and its gateway would
/// reach the other system's service instead).
actor PortRegistry {
    static let shared = PortRegistry()
    private var claimed: Set<Int> = []

    func claim(_ port: Int) -> Bool {
        self.claimed.insert(port).inserted
    }
}
