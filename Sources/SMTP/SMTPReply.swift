import NIOCore

/// One SMTP reply (RFC 5321 §4.2): a three-digit code and its text lines, continuation lines joined.
package struct SMTPReply: Sendable, Equatable, CustomStringConvertible {
    package var code: Int
    /// The text of each line, without the code and separator.
    package var lines: [String]

    package init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    package var isPositive: Bool { (200..<400).contains(self.code) }
    /// 4yz: try again later.
    package var isTransient: Bool { (400..<500).contains(self.code) }
    /// 5yz: the server will never accept it.
    package var isPermanent: Bool { self.code >= 500 }

    /// The EHLO keywords (`STARTTLS`, `AUTH PLAIN LOGIN`, `SMTPUTF8`), upper-cased; the first line is the greeting.
    package var extensions: [String] {
        self.lines.dropFirst().map { $0.uppercased() }
    }

    /// Whether the EHLO answer offers `keyword`, and its parameters.
    package func offers(_ keyword: String) -> [String]? {
        for line in self.extensions {
            let words = line.split(separator: " ").map(String.init)
            if words.first == keyword { return Array(words.dropFirst()) }
        }
        return nil
    }

    package var description: String {
        "\(self.code) \(self.lines.joined(separator: " / "))"
    }
}

/// Reads replies from the server's bytes: lines end in CRLF (a bare LF is tolerated), `250-` lines
/// continue a reply and `250 ` ends it. A reply longer than ``maximumReplyBytes`` or a line that is
/// not a reply is an error, so a hostile server cannot make the client buffer without bound.
package struct SMTPReplyDecoder: ByteToMessageDecoder {
    package typealias InboundOut = SMTPReply

    /// RFC 5321 allows 512 bytes per reply line; a long EHLO answer has a few dozen lines.
    static let maximumReplyBytes = 16 * 1024

    private var pendingCode: Int?
    private var pendingLines: [String] = []
    private var pendingBytes = 0

    package init() {}

    package mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes + self.pendingBytes > Self.maximumReplyBytes { throw SMTPError(.protocolViolation, "reply too long") }
            return .needMoreData
        }
        let length = newline - buffer.readerIndex + 1
        var line = buffer.readBytes(length: length)!
        line.removeLast()
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        self.pendingBytes += length
        guard self.pendingBytes <= Self.maximumReplyBytes else { throw SMTPError(.protocolViolation, "reply too long") }
        guard line.count >= 3, line.prefix(3).allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let code = Int(String(decoding: line.prefix(3), as: UTF8.self)),
            line.count == 3 || line[3] == UInt8(ascii: " ") || line[3] == UInt8(ascii: "-")
        else {
            throw SMTPError(.protocolViolation, "not an SMTP reply line")
        }
        if let pending = self.pendingCode, pending != code { throw SMTPError(.protocolViolation, "reply code changed mid-reply") }
        self.pendingCode = code
        self.pendingLines.append(line.count > 4 ? String(decoding: line[4...], as: UTF8.self) : "")
        if line.count > 3, line[3] == UInt8(ascii: "-") { return .continue }
        let reply = SMTPReply(code: code, lines: self.pendingLines)
        self.pendingCode = nil
        self.pendingLines = []
        self.pendingBytes = 0
        context.fireChannelRead(Self.wrapInboundOut(reply))
        return .continue
    }

    package mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try self.decode(context: context, buffer: &buffer)
    }
}
