import Common
import NIOCore
import NIOHTTP1

/// The field lines of a head as the gateway parsed them: the head's bytes, and each field as offsets
/// into them, so a field costs no string unless something asks for its value. Every line was
/// checked (RFC 9110 §5.5, RFC 9112 §5): a token name, a value without CR, LF or other controls, so
/// its bytes can be written on as they are.
struct HeaderFields {
    /// The head's bytes, from its first line to the end of its last field line.
    let bytes: ByteBuffer
    let fields: [Field]

    /// Where one field line's name and value (without surrounding whitespace) lie in `bytes`, and
    /// which name it is.
    struct Field {
        var name: FieldName
        var nameStart: Int32
        var nameEnd: Int32
        var valueStart: Int32
        var valueEnd: Int32
    }

    var count: Int { self.fields.count }

    func nameBytes(of field: Field) -> ByteBufferView {
        self.view(field.nameStart, field.nameEnd)
    }

    func valueBytes(of field: Field) -> ByteBufferView {
        self.view(field.valueStart, field.valueEnd)
    }

    func value(of field: Field) -> String {
        String(decoding: self.valueBytes(of: field), as: UTF8.self)
    }

    /// The whole field line, `name: value`, as received (without its CRLF).
    func line(of field: Field) -> ByteBufferView {
        self.view(field.nameStart, field.valueEnd)
    }

    /// Every value of the field `name`, in order.
    func values(_ name: FieldName) -> [String] {
        var values: [String] = []
        for field in self.fields where field.name == name {
            values.append(self.value(of: field))
        }
        return values
    }

    /// The first value of the field `name`.
    func first(_ name: FieldName) -> String? {
        self.fields.first { $0.name == name }.map { self.value(of: $0) }
    }

    func contains(_ name: FieldName) -> Bool {
        self.fields.contains { $0.name == name }
    }

    private func view(_ start: Int32, _ end: Int32) -> ByteBufferView {
        let base = self.bytes.readerIndex
        return self.bytes.readableBytesView[(base + Int(start))..<(base + Int(end))]
    }
}

/// A request head as the gateway parsed it from the client's bytes.
struct RequestHead {
    let method: HTTPMethod
    let target: String
    let version: HTTPVersion
    let headers: HeaderFields
}

/// Reads one request head from the front of a connection's bytes, strictly: a request line of
/// method, target and `HTTP/1.0` or `HTTP/1.1`; field lines ending in CRLF, no folding, no
/// whitespace before the colon; nothing over the limits. A head that breaks a rule is refused
/// whole (the connection is closed after the answer), never repaired.
enum RequestHeadParser {
    enum Outcome {
        /// No complete head yet: look again from `scanned` when more bytes arrive.
        case incomplete(scanned: Int)
        case head(RequestHead)
        case refused(APIError)
    }

    static let tooLarge = APIError(.requestHeaderFieldsTooLarge, "Request header fields too large")
    static let malformed = APIError(.badRequest, "Malformed HTTP request")
    static let unsupportedVersion = APIError(.badRequest, "Unsupported HTTP version")

    /// Takes a head off the front of `buffer` when a whole one is there. `scanned`: how far an
    /// earlier call looked for its end, so a head trickled in byte by byte is not searched again
    /// from its start each time.
    static func parse(_ buffer: inout ByteBuffer, scanned: Int, limits: HeadLimits) -> Outcome {
        // RFC 9112 §2.2: empty lines before a request line are ignored.
        while buffer.readableBytesView.starts(with: [13, 10]) {
            buffer.moveReaderIndex(forwardBy: 2)
        }
        guard let end = HeadSyntax.endOfHead(in: buffer, from: scanned) else {
            if buffer.readableBytes > limits.headBytes { return .refused(Self.tooLarge) }
            return .incomplete(scanned: max(0, buffer.readableBytes - 3))
        }
        guard end <= limits.headBytes else { return .refused(Self.tooLarge) }
        let bytes = buffer.readSlice(length: end)!
        buffer.moveReaderIndex(forwardBy: 4)
        return Self.parseHead(bytes, limits: limits)
    }

    private static func parseHead(_ bytes: ByteBuffer, limits: HeadLimits) -> Outcome {
        bytes.withUnsafeReadableBytes { raw -> Outcome in
            let lineEnd = HeadSyntax.lineEnd(in: raw, from: 0)
            guard lineEnd <= limits.lineBytes else { return .refused(Self.tooLarge) }
            guard let requestLine = Self.requestLine(raw, end: lineEnd) else { return .refused(Self.malformed) }
            guard let version = requestLine.version else { return .refused(Self.unsupportedVersion) }
            guard let fields = HeadSyntax.fields(raw, from: lineEnd + 2, limits: limits) else { return .refused(Self.malformed) }
            guard case .success(let fields) = fields else { return .refused(Self.tooLarge) }
            return .head(
                RequestHead(method: requestLine.method, target: requestLine.target, version: version, headers: HeaderFields(bytes: bytes, fields: fields))
            )
        }
    }

    private static func requestLine(
        _ bytes: UnsafeRawBufferPointer, end: Int
    ) -> (method: HTTPMethod, target: String, version: HTTPVersion?)? {
        var index = 0
        while index < end, HTTPSyntax.isTokenByte(bytes[index]) { index += 1 }
        guard index > 0, index < end, bytes[index] == 32 else { return nil }
        let method = HTTPMethod(rawValue: String(decoding: UnsafeRawBufferPointer(rebasing: bytes[0..<index]), as: UTF8.self))
        let targetStart = index + 1
        index = targetStart
        // A target is visible ASCII (RFC 3986 plus the `#` a client should not send and we cut).
        while index < end, bytes[index] > 32, bytes[index] < 127 { index += 1 }
        guard index > targetStart, index < end, bytes[index] == 32 else { return nil }
        let target = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[targetStart..<index]), as: UTF8.self)
        let version = UnsafeRawBufferPointer(rebasing: bytes[(index + 1)..<end])
        guard version.count == 8, version.starts(with: "HTTP/".utf8), HTTPSyntax.isDigit(version[5]), version[6] == UInt8(ascii: "."),
            HTTPSyntax.isDigit(version[7])
        else { return nil }
        guard version[5] == UInt8(ascii: "1"), version[7] == UInt8(ascii: "0") || version[7] == UInt8(ascii: "1") else {
            return (method, target, nil)
        }
        return (method, target, HTTPVersion(major: 1, minor: version[7] == UInt8(ascii: "1") ? 1 : 0))
    }
}

/// The character classes of RFC 9110 §5.6.
enum HTTPSyntax {
    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= 0x30 && byte <= 0x39
    }

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09
    }

    /// tchar: `!#$%&'*+-.^_`|~`, digits and letters.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        Self.tokenBytes[Int(byte)]
    }

    /// field-vchar, SP or HTAB: anything but controls (obs-text included).
    static func isFieldValueByte(_ byte: UInt8) -> Bool {
        byte == 0x09 || (byte >= 0x20 && byte != 0x7F)
    }

    private static let tokenBytes: [Bool] = (0...255).map { value in
        let byte = UInt8(value)
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): return true
        default: return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }
}

/// How large a head may be: large enough for any real token or cookie, small enough to bound memory.
struct HeadLimits: Sendable {
    /// The whole head, first line included.
    var headBytes = 32 * 1024
    /// One line.
    var lineBytes = 16 * 1024
    var fieldCount = 256
}

/// The syntax request and response heads share (RFC 9112 §2, §5).
enum HeadSyntax {
    /// The offset of the CRLF CRLF that ends the head in `buffer`, searching from `start`.
    static func endOfHead(in buffer: ByteBuffer, from start: Int) -> Int? {
        buffer.withUnsafeReadableBytes { bytes -> Int? in
            guard bytes.count >= 4 else { return nil }
            var index = max(0, start)
            while index + 3 < bytes.count {
                if bytes[index + 3] != 10 {
                    // The byte 3 ahead is not LF: no terminator starts here, nor (unless that byte
                    // is CR) in the next three places.
                    index += bytes[index + 3] == 13 ? 1 : 4
                    continue
                }
                if bytes[index] == 13, bytes[index + 1] == 10, bytes[index + 2] == 13 { return index }
                index += 1
            }
            return nil
        }
    }

    /// The offset of the next CRLF at or after `start` (the end of `bytes` when there is none).
    static func lineEnd(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
        var index = start
        while index + 1 < bytes.count {
            if bytes[index] == 13, bytes[index + 1] == 10 { return index }
            index += 1
        }
        return bytes.count
    }

    /// The field lines from `start` to the end of `bytes`: nil when one is malformed, `.failure`
    /// when they are over the limits.
    static func fields(_ bytes: UnsafeRawBufferPointer, from start: Int, limits: HeadLimits) -> Result<[HeaderFields.Field], TooLarge>? {
        var fields: [HeaderFields.Field] = []
        var start = start
        while start < bytes.count {
            let end = Self.lineEnd(in: bytes, from: start)
            guard end - start <= limits.lineBytes, fields.count < limits.fieldCount else { return .failure(TooLarge()) }
            guard let field = Self.field(bytes, start: start, end: end) else { return nil }
            fields.append(field)
            start = end + 2
        }
        return .success(fields)
    }

    struct TooLarge: Error {}

    /// One field line: a token, a colon, then a value of visible characters, spaces and tabs (no
    /// folding: a line that starts with whitespace is not a token).
    private static func field(_ bytes: UnsafeRawBufferPointer, start: Int, end: Int) -> HeaderFields.Field? {
        var index = start
        while index < end, HTTPSyntax.isTokenByte(bytes[index]) { index += 1 }
        guard index > start, index < end, bytes[index] == UInt8(ascii: ":") else { return nil }
        let nameEnd = index
        index += 1
        while index < end, HTTPSyntax.isWhitespace(bytes[index]) { index += 1 }
        let valueStart = index
        var valueEnd = index
        while index < end {
            let byte = bytes[index]
            guard HTTPSyntax.isFieldValueByte(byte) else { return nil }
            index += 1
            if !HTTPSyntax.isWhitespace(byte) { valueEnd = index }
        }
        return HeaderFields.Field(
            name: FieldName(UnsafeRawBufferPointer(rebasing: bytes[start..<nameEnd])), nameStart: Int32(start), nameEnd: Int32(nameEnd),
            valueStart: Int32(valueStart), valueEnd: Int32(valueEnd)
        )
    }
}
