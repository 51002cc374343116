import NIOCore

/// A service's response head as the gateway parsed it.
struct ResponseHead {
    let status: Int
    /// The status line after the version (`200 OK`), as the service wrote it.
    let statusLine: ByteBufferView
    let headers: HeaderFields
    /// The service keeps the connection open afterwards (HTTP/1.1 without `Connection: close`).
    let keepAlive: Bool
    let framing: ResponseFraming
}

/// How a response body ends (RFC 9112 §6.3).
enum ResponseFraming: Equatable {
    /// No body (1xx, 204, 304, or `Content-Length: 0`).
    case empty
    case length(Int)
    case chunked
    /// No length: the body ends when the service closes the connection.
    case untilClose
}

/// Reads a service's response heads, as strictly as the client's requests: a service that writes
/// something else has its connection closed and its request answered 503.
enum ResponseHeadParser {
    enum Outcome {
        case incomplete(scanned: Int)
        case head(ResponseHead)
        case malformed
    }

    static func parse(_ buffer: inout ByteBuffer, scanned: Int, limits: HeadLimits) -> Outcome {
        guard let end = HeadSyntax.endOfHead(in: buffer, from: scanned) else {
            return buffer.readableBytes > limits.headBytes ? .malformed : .incomplete(scanned: max(0, buffer.readableBytes - 3))
        }
        guard end <= limits.headBytes else { return .malformed }
        let bytes = buffer.readSlice(length: end)!
        buffer.moveReaderIndex(forwardBy: 4)
        return bytes.withUnsafeReadableBytes { raw -> Outcome in
            let lineEnd = HeadSyntax.lineEnd(in: raw, from: 0)
            // `HTTP/1.x SP 3DIGIT [SP reason-phrase]`
            guard lineEnd >= 12, raw.starts(with: "HTTP/1.".utf8), raw[7] == UInt8(ascii: "0") || raw[7] == UInt8(ascii: "1"),
                raw[8] == 32, (9..<12).allSatisfy({ HTTPSyntax.isDigit(raw[$0]) }),
                lineEnd == 12 || raw[12] == 32, (12..<lineEnd).allSatisfy({ HTTPSyntax.isFieldValueByte(raw[$0]) })
            else { return .malformed }
            guard case .success(let fields)? = HeadSyntax.fields(raw, from: lineEnd + 2, limits: limits) else { return .malformed }
            let status = (9..<12).reduce(0) { $0 * 10 + Int(raw[$1] - UInt8(ascii: "0")) }
            let headers = HeaderFields(bytes: bytes, fields: fields)
            guard let framing = Self.framing(status: status, headers: headers) else { return .malformed }
            let closes = headers.fields.contains { field in
                field.name == .connection
                    && headers.valueBytes(of: field).split(separator: UInt8(ascii: ",")).contains {
                        $0.trimmingOptionalWhitespaceBytes.equalsLowercaseASCII("close".utf8)
                    }
            }
            return .head(
                ResponseHead(
                    status: status, statusLine: bytes.readableBytesView[(bytes.readerIndex + 9)..<(bytes.readerIndex + lineEnd)],
                    headers: headers, keepAlive: raw[7] == UInt8(ascii: "1") && !closes && framing != .untilClose, framing: framing
                )
            )
        }
    }

    /// RFC 9112 §6.3, for a response to anything but HEAD or CONNECT (the gateway sends neither). Nil
    /// when the length cannot be told (different `Content-Length`s, or one that is no number).
    static func framing(status: Int, headers: HeaderFields) -> ResponseFraming? {
        if (100..<200).contains(status) || status == 204 || status == 304 { return .empty }
        var length: Int?
        var lastCoding: ByteBufferView?
        for field in headers.fields {
            switch field.name {
            case .transferEncoding:
                lastCoding = headers.valueBytes(of: field)
            case .contentLength:
                // A list of equal lengths is one length (RFC 9110 §8.6); anything else cannot be told.
                for part in headers.valueBytes(of: field).split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
                    guard let value = Self.decimal(part), length == nil || length == value else { return nil }
                    length = value
                }
            default:
                break
            }
        }
        if let lastCoding {
            let final = lastCoding.split(separator: UInt8(ascii: ",")).last.map { $0.trimmingOptionalWhitespaceBytes } ?? lastCoding[...]
            return final.equalsLowercaseASCII("chunked".utf8) ? .chunked : .untilClose
        }
        guard let length else { return .untilClose }
        return length == 0 ? .empty : .length(length)
    }

    /// The number `digits` spell, whitespace around them allowed; nil for anything else.
    private static func decimal(_ digits: ByteBufferView.SubSequence) -> Int? {
        let digits = digits.trimmingOptionalWhitespaceBytes
        guard !digits.isEmpty, digits.count <= 18 else { return nil }
        var value = 0
        for byte in digits {
            guard HTTPSyntax.isDigit(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }
}

extension BidirectionalCollection<UInt8> {
    /// Without the spaces and tabs around it.
    var trimmingOptionalWhitespaceBytes: SubSequence {
        var text = self[...]
        while let first = text.first, HTTPSyntax.isWhitespace(first) { text = text.dropFirst() }
        while let last = text.last, HTTPSyntax.isWhitespace(last) { text = text.dropLast() }
        return text
    }
}
