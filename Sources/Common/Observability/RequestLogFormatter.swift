import Foundation

/// Formats request lines like the rest of the service's log: swift-log's text layout, or the JSON
/// object ``JSONLogHandler`` writes (sorted keys, string values).
final class RequestLogFormatter {
    private let service: String
    private let format: LogFormat
    private var cachedSecond = -1
    private var cachedPrefix: [UInt8] = []

    init(service: String, format: LogFormat) {
        self.service = service
        self.format = format
    }

    func append(_ entry: RequestLogEntry, to out: inout [UInt8]) {
        let duration = Self.milliseconds(entry.durationNanoseconds)
        switch self.format {
        case .text:
            self.appendTimestamp(to: &out)
            out.append(contentsOf: " info \(self.service): duration_ms=\(duration) method=".utf8)
            Self.appendPrintable(entry.method, to: &out)
            out.append(contentsOf: " path=".utf8)
            Self.appendPrintable(entry.path, to: &out)
            out.append(contentsOf: " request_id=\(entry.requestID) status=\(entry.status) request\n".utf8)
        case .json:
            out.append(contentsOf: #"{"duration_ms":"\#(duration)","level":"info","method":""#.utf8)
            Self.appendJSONEscaped(entry.method, to: &out)
            out.append(contentsOf: #"","msg":"request","path":""#.utf8)
            Self.appendJSONEscaped(entry.path, to: &out)
            out.append(contentsOf: #"","request_id":""#.utf8)
            Self.appendJSONEscaped(entry.requestID, to: &out)
            out.append(contentsOf: #"","service":"\#(self.service)","status":"\#(entry.status)","ts":""#.utf8)
            self.appendTimestamp(to: &out)
            out.append(contentsOf: "\"}\n".utf8)
        }
    }

    /// `2026-12-01T18:12:49.123Z`; the part up to the seconds is formatted once per second.
    private func appendTimestamp(to out: inout [UInt8]) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let second = now.tv_sec
        if second != self.cachedSecond {
            var time = second
            var parts = tm()
            gmtime_r(&time, &parts)
            let text = String(
                format: "%04d-%02d-%02dT%02d:%02d:%02d.", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec)
            )
            self.cachedPrefix = Array(text.utf8)
            self.cachedSecond = second
        }
        out.append(contentsOf: self.cachedPrefix)
        let millis = Int(now.tv_nsec / 1_000_000)
        out.append(UInt8(0x30 + millis / 100))
        out.append(UInt8(0x30 + millis / 10 % 10))
        out.append(UInt8(0x30 + millis % 10))
        out.append(0x5A)
    }

    /// `0.52`: milliseconds with two decimals, without Foundation's formatter.
    static func milliseconds(_ nanoseconds: UInt64) -> String {
        let hundredths = (nanoseconds + 5000) / 10000
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// Client-controlled text in a text line: anything but printable ASCII becomes %XX, so a request
    /// cannot forge or split log lines.
    private static func appendPrintable(_ text: some StringProtocol, to out: inout [UInt8]) {
        for byte in text.utf8 {
            if byte > 0x20, byte < 0x7F, byte != 0x25 {
                out.append(byte)
            } else {
                out.append(contentsOf: Array(String(format: "%%%02X", byte).utf8))
            }
        }
    }

    private static func appendJSONEscaped(_ text: some StringProtocol, to out: inout [UInt8]) {
        for byte in text.utf8 {
            switch byte {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x00..<0x20, 0x7F: out.append(contentsOf: Array(String(format: "\\u%04x", byte).utf8))
            default: out.append(byte)
            }
        }
    }
}
