import Foundation
import Testing

/// A Redis of the test's own (AOF on), which it may stop and start again on the same port.
actor RedisServer {
    nonisolated let port: Int
    let directory: URL
    private var process: Process?

    init() async throws {
        self.port = try await TestEnvironment.freePort()
        self.directory = FileManager.default.temporaryDirectory.appendingPathComponent("redis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        try await self.start()
    }

    nonisolated var url: String { "redis://127.0.0.1:\(self.port)" }

    func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try TestEnvironment.require("REDIS_SERVER_BIN"))
        process.arguments = [
            "--port", String(self.port), "--bind", "127.0.0.1", "--dir", self.directory.path,
            "--appendonly", "yes", "--save", "", "--daemonize", "no",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if Self.answers(port: self.port) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("redis-server did not start on \(self.port)")
    }

    /// Freezes Redis (SIGSTOP): connections stay open and nothing answers, as on a stalled host.
    func pause() {
        guard let process = self.process else { return }
        Foundation.kill(process.processIdentifier, SIGSTOP)
    }

    func resume() {
        guard let process = self.process else { return }
        Foundation.kill(process.processIdentifier, SIGCONT)
    }

    /// Stops Redis the hard way, as a crash or a lost node would.
    func kill() {
        guard let process = self.process else { return }
        self.process = nil
        Foundation.kill(process.processIdentifier, SIGKILL)
        Foundation.kill(process.processIdentifier, SIGCONT)
        process.waitUntilExit()
    }

    private static func answers(port: Int) -> Bool {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

