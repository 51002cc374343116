import Logging
import Synchronization

/// Keeps every line the gateway under test logs, so a test can see what it did (a reload of the
/// revocation record, say) and a failing test can show why.
final class LogCapture: Sendable {
    struct Line: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let lines = Mutex<[Line]>([])

    /// A logger writing into this capture.
    func logger(level: Logger.Level = .info) -> Logger {
        var logger = Logger(label: "gateway-under-test") { _ in Handler(capture: self) }
        logger.logLevel = level
        return logger
    }

    var all: [Line] { self.lines.withLock { $0 } }

    func lines(withMessage message: String) -> [Line] {
        self.all.filter { $0.message == message }
    }

    fileprivate func append(_ line: Line) {
        self.lines.withLock { $0.append(line) }
    }

    private struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { self.metadata[key] }
            set { self.metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var fields: [String: String] = [:]
            for (key, value) in self.metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
                fields[key] = "\(value)"
            }
            self.capture.append(Line(level: event.level, message: "\(event.message)", metadata: fields))
        }
    }
}
