/// One message to deliver: the envelope sender and recipient, and the RFC 5322 message itself
/// (CRLF lines, not yet dot-stuffed: the client does that).
package struct SMTPEnvelope: Sendable, Equatable {
    /// `MAIL FROM` (an address without angle brackets; empty for the null sender).
    package var sender: String
    /// `RCPT TO`: one recipient per message, so that each message has one outcome.
    package var recipient: String
    package var data: [UInt8]

    package init(sender: String, recipient: String, data: [UInt8]) {
        self.sender = sender
        self.recipient = recipient
        self.data = data
    }

    /// A recipient or sender with a non-ASCII local part needs the server's `SMTPUTF8` (RFC 6531).
    var needsSMTPUTF8: Bool {
        !self.sender.utf8.allSatisfy { $0 < 0x80 } || !self.recipient.utf8.allSatisfy { $0 < 0x80 }
    }
}

/// What became of one message.
package enum SMTPDeliveryResult: Sendable, Equatable {
    /// The server took responsibility for it (250 after the data).
    case delivered
    /// The server refused it for good (a 5yz reply to MAIL, RCPT or the data): retrying will not help.
    case rejected(SMTPError)
    /// Not delivered this time (a 4yz reply, no connection, a timeout, a broken session): try again later.
    case deferred(SMTPError)
}

/// The DATA encoding of RFC 5321 §4.5.2: every line ends in CRLF (bare CR and LF become CRLF), a line
/// starting with "." gets another in front, and the end is marked by a line holding only ".".
package enum SMTPDataEncoding {
    package static func stuffed(_ message: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(message.count + message.count / 64 + 5)
        var atLineStart = true
        var index = 0
        while index < message.count {
            let byte = message[index]
            if byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") {
                out.append(contentsOf: [0x0D, 0x0A])
                // CRLF is one line end; a lone CR or LF is one too.
                if byte == UInt8(ascii: "\r"), index + 1 < message.count, message[index + 1] == UInt8(ascii: "\n") { index += 1 }
                atLineStart = true
            } else {
                if atLineStart, byte == UInt8(ascii: ".") { out.append(UInt8(ascii: ".")) }
                out.append(byte)
                atLineStart = false
            }
            index += 1
        }
        if !atLineStart { out.append(contentsOf: [0x0D, 0x0A]) }
        out.append(contentsOf: Array(".\r\n".utf8))
        return out
    }
}
