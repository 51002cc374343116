import Foundation
import Testing

/// One of our executables, started as a real process with its own environment and log file.
final class ServiceProcess: Sendable {
    let name: String
    let logFile: URL
    private let process: Process

    init(name: String, executable: URL, environment: [String: String], logDirectory: URL) throws {
        self.name = name
        self.logFile = logDirectory.appendingPathComponent("\(name).log")
        _ = FileManager.default.createFile(atPath: self.logFile.path, contents: nil)
        let log = try FileHandle(forWritingTo: self.logFile)
        let process = Process()
        process.executableURL = executable
        process.environment = environment
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
    }

    var isRunning: Bool { self.process.isRunning }

    /// The exit status once the process has ended, `nil` while it runs.
    var exitStatus: Int32? {
        self.process.isRunning ? nil : self.process.terminationStatus
    }

    /// SIGTERM, then SIGKILL if it has not gone within `grace`.
    func stop(grace: Duration = .seconds(5)) async {
        guard self.process.isRunning else { return }
        self.process.terminate()
        let deadline = ContinuousClock.now + grace
        while self.process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if self.process.isRunning {
            kill(self.process.processIdentifier, SIGKILL)
            self.process.waitUntilExit()
        }
    }

    /// Waits until the service's log mentions `text`: how a test learns that a process has reached
    /// a point it cannot otherwise observe, such as the start of its graceful shutdown.
    func waitForLog(_ text: String, within timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !((try? String(contentsOf: self.logFile, encoding: .utf8)) ?? "").contains(text) {
            guard ContinuousClock.now < deadline else {
                Issue.record("\(self.name) never logged \"\(text)\" within \(timeout):\n\(self.logTail())")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The last lines of the service's log, to explain a failure.
    func logTail(lines: Int = 30) -> String {
        let text = (try? String(contentsOf: self.logFile, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }
}
