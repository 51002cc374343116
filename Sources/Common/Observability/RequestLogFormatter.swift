import Foundation

/// Formats request lines like the rest of the service's log: swift-log's text layout, or the JSON
/// object ``JSONLogHandler`` writes (sorted keys, string values). Bytes are appended straight into
/// the loop's buffer: a line costs no intermediate string.
final class RequestLogFormatter {
    private let format: LogFormat
    private let textService: [UInt8]
    private let jsonService: [UInt8]
    private var cachedSecond = -1
    private var cachedPrefix: [UInt8] = []

    init(service: String, format: LogFormat) {
        self.format = format
        self.textService = Array(" info \(service): duration_ms=".utf8)
        self.jsonService = Array(#"","service":"\#(service)","status":""#.utf8)
    }

    func append(_ entry: RequestLogEntry, to out: inout [UInt8]) {
        switch self.format {
        case .text:
            self.appendTimestamp(to: &out)
            out.append(contentsOf: self.textService)
            Self.appendMilliseconds(entry.durationNanoseconds, to: &out)
            out.append(contentsOf: " method=".utf8)
            Self.appendPrintable(entry.method, to: &out)
            out.append(contentsOf: " path=".utf8)
            Self.appendPrintable(entry.path, to: &out)
            out.append(contentsOf: " request_id=".utf8)
            Self.appendPrintable(entry.requestID, to: &out)
            out.append(contentsOf: " status=".utf8)
            Self.appendDecimal(UInt64(max(0, entry.status)), to: &out)
            out.append(contentsOf: " request\n".utf8)
        case .json:
            out.append(contentsOf: #"{"duration_ms":""#.utf8)
            Self.appendMilliseconds(entry.durationNanoseconds, to: &out)
            out.append(contentsOf: #"","level":"info","method":""#.utf8)
            Self.appendJSONEscaped(entry.method, to: &out)
            out.append(contentsOf: #"","msg":"request","path":""#.utf8)
            Self.appendJSONEscaped(entry.path, to: &out)
            out.append(contentsOf: #"","request_id":""#.utf8)
            Self.appendJSONEscaped(entry.requestID, to: &out)
            out.append(contentsOf: self.jsonService)
            Self.appendDecimal(UInt64(max(0, entry.status)), to: &out)
            out.append(contentsOf: #"","ts":""#.utf8)
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

    /// `0.52`: milliseconds with two decimals.
    static func appendMilliseconds(_ nanoseconds: UInt64, to out: inout [UInt8]) {
        let hundredths = (nanoseconds + 5000) / 10000
        Self.appendDecimal(hundredths / 100, to: &out)
        out.append(0x2E)
        out.append(UInt8(0x30 + hundredths / 10 % 10))
        out.append(UInt8(0x30 + hundredths % 10))
    }

    /// ``appendMilliseconds(_:to:)`` as a string, for lines logged the ordinary way.
    static func milliseconds(_ nanoseconds: UInt64) -> String {
        var bytes: [UInt8] = []
        Self.appendMilliseconds(nanoseconds, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    static func appendDecimal(_ value: UInt64, to out: inout [UInt8]) {
        if value >= 10 { Self.appendDecimal(value / 10, to: &out) }
        out.append(UInt8(0x30 + value % 10))
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// Client-controlled text in a text line: anything but printable ASCII becomes %XX, so a request
    /// cannot forge or split log lines.
    private static func appendPrintable(_ text: some StringProtocol, to out: inout [UInt8]) {
        for byte in text.utf8 {
            if byte > 0x20, byte < 0x7F, byte != 0x25 {
                out.append(byte)
            } else {
                out.append(0x25)
                out.append(Self.hexDigits[Int(byte >> 4)])
                out.append(Self.hexDigits[Int(byte & 0x0F)])
            }
        }
    }

    private static func appendJSONEscaped(_ text: some StringProtocol, to out: inout [UInt8]) {
        for byte in text.utf8 {
            switch byte {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x00..<0x20, 0x7F:
                out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30])
                out.append(Self.hexDigits[Int(byte >> 4)] | 0x20)
                out.append(Self.hexDigits[Int(byte & 0x0F)] | 0x20)
            default: out.append(byte)
            }
        }
    }
}
