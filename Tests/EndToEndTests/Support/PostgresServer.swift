import Foundation
import Testing

/// A PostgreSQL cluster of the test's own on a loopback port, which it can pause (SIGSTOP to the
/// postmaster and every backend, as a stalled host or a frozen VM would) and resume.
///
/// PostgreSQL refuses to run as root, so the cluster belongs to the `postgres` user (as in
/// scripts/lib/stores.sh); the test must run as root, which `make test` does.
actor PostgresServer {
    static let binDirectory = "/usr/lib/postgresql/15/bin"

    nonisolated let port: Int
    let directory: URL
    /// `runuser` running the postmaster in the foreground. Not pg_ctl: the server it leaves behind
    /// would inherit Foundation's watch on pg_ctl's exit, which then never comes.
    private var server: Process?

    init() async throws {
        self.port = try await TestEnvironment.freePort()
        self.directory = URL(fileURLWithPath: "/tmp/e2e-pg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        try await Self.run("/bin/chown", ["postgres:postgres", self.directory.path])
        try await Self.asPostgres("initdb", ["-D", self.data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"])
        let log = self.directory.appendingPathComponent("postgres.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
        server.arguments = [
            "-u", "postgres", "--", "\(Self.binDirectory)/postgres", "-D", self.data, "-c", "listen_addresses=127.0.0.1",
            "-p", String(self.port), "-k", self.directory.path, "-c", "fsync=off", "-c", "synchronous_commit=off",
        ]
        server.currentDirectoryURL = URL(fileURLWithPath: "/")
        server.standardInput = FileHandle.nullDevice
        server.standardOutput = try FileHandle(forWritingTo: log)
        server.standardError = server.standardOutput
        try server.run()
        self.server = server
        let deadline = ContinuousClock.now + .seconds(30)
        while try await Self.status("\(Self.binDirectory)/pg_isready", ["-q", "-h", "127.0.0.1", "-p", String(self.port)]) != 0 {
            try #require(server.isRunning, "postgres exited: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
            try #require(ContinuousClock.now < deadline, "postgres not ready within 30 s")
            try await Task.sleep(for: .milliseconds(100))
        }
        try await Self.asPostgres("psql", ["-h", "127.0.0.1", "-p", String(self.port), "-U", "postgres", "-d", "postgres", "-q", "-c", "CREATE DATABASE auth"])
    }

    nonisolated var url: String { "postgres://postgres@127.0.0.1:\(self.port)/auth" }

    private nonisolated var data: String { self.directory.appendingPathComponent("data").path }

    /// Stops the postmaster first (no new backend is forked), then every backend.
    func pause() throws {
        for pid in try self.processes() { kill(pid, SIGSTOP) }
    }

    func resume() throws {
        for pid in try self.processes().reversed() { kill(pid, SIGCONT) }
    }

    /// Resumes it if paused, then a fast shutdown (SIGINT), SIGKILL after 10 s.
    func stop() async {
        let processes = (try? self.processes()) ?? []
        for pid in processes.reversed() { kill(pid, SIGCONT) }
        if let postmaster = processes.first { kill(postmaster, SIGINT) }
        let deadline = ContinuousClock.now + .seconds(10)
        while self.server?.isRunning == true, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if self.server?.isRunning == true {
            for pid in processes { kill(pid, SIGKILL) }
        }
        self.server = nil
        try? FileManager.default.removeItem(at: self.directory)
    }

    /// The postmaster, then its children.
    private func processes() throws -> [pid_t] {
        let pidFile = try String(contentsOfFile: self.data + "/postmaster.pid", encoding: .utf8)
        let postmaster = try #require(pid_t(pidFile.split(separator: "\n").first ?? ""), "no postmaster pid")
        var children: [pid_t] = []
        for entry in try FileManager.default.contentsOfDirectory(atPath: "/proc") {
            guard let pid = pid_t(entry),
                let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            // "pid (comm) state ppid ...": comm may hold spaces, so read after the last ')'.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, pid_t(fields[1]) == postmaster { children.append(pid) }
        }
        return [postmaster] + children
    }

    private static func asPostgres(_ tool: String, _ arguments: [String]) async throws {
        try await self.run("/usr/sbin/runuser", ["-u", "postgres", "--", "\(self.binDirectory)/\(tool)"] + arguments)
    }

    /// The exit status of a quick command, its output discarded.
    private static func status(_ executable: String, _ arguments: [String]) async throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        try await self.exit(of: process)
        return process.terminationStatus
    }

    /// Waits for the process without blocking a thread: `waitUntilExit()` would hold one of the
    /// few cooperative threads every other test shares for as long as initdb runs.
    private static func exit(of process: Process) async throws {
        while process.isRunning {
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Output goes to a file, not a pipe, so that nothing can hold the pipe open past the exit.
    private static func run(_ executable: String, _ arguments: [String]) async throws {
        let outputFile = FileManager.default.temporaryDirectory.appendingPathComponent("pg-\(UUID().uuidString).out")
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outputFile) }
        let output = try FileHandle(forWritingTo: outputFile)
        defer { try? output.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: "/")
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = output
        try process.run()
        try await self.exit(of: process)
        let text = (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
        try #require(process.terminationStatus == 0, "\(executable) \(arguments.joined(separator: " ")) failed: \(text)")
    }
}
