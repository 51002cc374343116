import Foundation
import Logging

/// One JSON object per line on stdout: what log collectors parse without configuration.
package struct JSONLogHandler: LogHandler {
    package var metadata: Logger.Metadata = [:]
    package var logLevel: Logger.Level = .info
    private let label: String

    package init(label: String) {
        self.label = label
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var fields: [String: String] = [
            "ts": Self.timestamp(),
            "level": event.level.rawValue,
            "service": self.label,
            "msg": "\(event.message)",
        ]
        for (key, value) in self.metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            fields[key] = "\(value)"
        }
        guard var line = try? JSONEncoder.sortedKeys.encode(fields) else { return }
        line.append(0x0A)
        // One write(2) per line, unbuffered: lines from concurrent tasks never interleave
        // (a pipe writes up to PIPE_BUF bytes atomically) and none is lost on exit.
        line.withUnsafeBytes { bytes in
            _ = write(STDOUT_FILENO, bytes.baseAddress, bytes.count)
        }
    }

    private static func timestamp() -> String {
        Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
    }
}

/// Chooses the log format once per process: `LOG_FORMAT=json` for collectors, text otherwise.
package enum LoggingSetup {
    package static func bootstrap(format: String, level: Logger.Level) {
        let json = format.lowercased() == "json"
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = json ? JSONLogHandler(label: label) : StreamLogHandler.standardOutput(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
