import Foundation

/// A mail as RFC 5322 and MIME write it: `From`, `To`, `Subject` (RFC 2047 encoded words when it is
/// not plain ASCII), `Date`, `Message-ID`, and a `multipart/alternative` body with a text and an HTML
/// part, both UTF-8 in quoted-printable, so that no line is longer than 76 characters.
package struct MailMessage: Sendable, Equatable {
    package var from: MailAddress
    package var to: String
    package var subject: String
    package var text: String
    package var html: String
    package var date: Date
    /// Without angle brackets: `id@domain`.
    package var messageID: String

    package init(from: MailAddress, to: String, subject: String, text: String, html: String, date: Date, messageID: String) {
        self.from = from
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
        self.date = date
        self.messageID = messageID
    }

    /// The message bytes, CRLF line ends; `boundary` must not occur in either part (the default is random).
    package func rendered(boundary: String = "=_part_" + UUID().uuidString) -> [UInt8] {
        let lines = [
            "From: " + self.from.header,
            "To: " + Self.headerSafe(self.to),
            "Subject: " + MIMEEncoding.encodedWords(self.subject, prefixLength: 9),
            "Date: " + MIMEEncoding.date(self.date),
            "Message-ID: <" + Self.headerSafe(self.messageID) + ">",
            "MIME-Version: 1.0",
            "Content-Type: multipart/alternative;\r\n boundary=\"\(boundary)\"",
            "",
            "--" + boundary,
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
            "",
            MIMEEncoding.quotedPrintable(self.text),
            "--" + boundary,
            "Content-Type: text/html; charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
            "",
            MIMEEncoding.quotedPrintable(self.html),
            "--" + boundary + "--",
            "",
        ]
        return Array(lines.joined(separator: "\r\n").utf8)
    }

    /// A header value can never start a new header: line breaks become spaces.
    static func headerSafe(_ text: String) -> String {
        String(text.map { $0 == "\r" || $0 == "\n" ? " " : $0 })
    }
}

/// `MAIL_FROM`: `Name <address>` or a bare address.
package struct MailAddress: Sendable, Equatable {
    package var displayName: String?
    package var address: String

    package init(displayName: String?, address: String) {
        self.displayName = displayName
        self.address = address
    }

    /// Parses `Auth Backend <no-reply@example.com>` or `no-reply@example.com`; `nil` when there is no
    /// plausible address (one `@`, no spaces, angle brackets or line breaks in it).
    package init?(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var name: String?
        var address = trimmed
        if trimmed.hasSuffix(">"), let open = trimmed.lastIndex(of: "<") {
            address = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
            let rawName = trimmed[..<open].trimmingCharacters(in: .whitespaces)
            let unquoted = rawName.hasPrefix("\"") && rawName.hasSuffix("\"") && rawName.count >= 2 ? String(rawName.dropFirst().dropLast()) : rawName
            name = unquoted.isEmpty ? nil : unquoted
        }
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
            !address.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" || $0 == "\"" || $0.isNewline }),
            !(name ?? "").contains(where: \.isNewline)
        else { return nil }
        self.displayName = name
        self.address = address
    }

    /// The domain, for `Message-ID`s.
    package var domain: String {
        String(self.address[self.address.index(after: self.address.lastIndex(of: "@")!)...])
    }

    var header: String {
        guard let name = self.displayName else { return self.address }
        let isPlain = name.unicodeScalars.allSatisfy { $0.isASCII && $0.value >= 0x20 && $0 != "\"" && $0 != "\\" }
        return (isPlain ? "\"\(name)\"" : MIMEEncoding.encodedWords(name, prefixLength: 6)) + " <\(self.address)>"
    }
}

/// The encodings a mail needs: RFC 2047 words, quoted-printable (RFC 2045) and the RFC 5322 date.
package enum MIMEEncoding {
    /// `text` as is when it is printable ASCII that fits a header line; otherwise as `=?UTF-8?B?...?=`
    /// words of at most 75 characters, never splitting a character, folded onto continuation lines.
    package static func encodedWords(_ text: String, prefixLength: Int) -> String {
        let plain = text.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F }
        if plain, prefixLength + text.utf8.count <= 78, !text.contains("=?") { return text }
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            // 45 bytes make 60 base64 characters: 72 with the word's 12.
            if chunk.count + bytes.count > 45, !chunk.isEmpty {
                words.append("=?UTF-8?B?" + Base64.encode(chunk) + "?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append("=?UTF-8?B?" + Base64.encode(chunk) + "?=") }
        return words.joined(separator: "\r\n ")
    }

    /// Quoted-printable with CRLF hard breaks and soft breaks (`=` CRLF) keeping lines at 76 characters.
    package static func quotedPrintable(_ text: String) -> String {
        var lines: [String] = []
        let normalised = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        for line in normalised.split(separator: "\n", omittingEmptySubsequences: false) {
            let bytes = Array(line.utf8)
            var out = ""
            var length = 0
            for (index, byte) in bytes.enumerated() {
                let isLast = index == bytes.count - 1
                let literal = (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 0x20 || byte == 0x09) && !isLast)
                // A "." at the start of a line is left to dot-stuffing; encoding it too keeps broken relays honest.
                let piece = literal && !(length == 0 && byte == UInt8(ascii: "."))
                    ? String(UnicodeScalar(byte)) : Self.hexEscape(byte)
                if length + piece.count > 75 {
                    out += "=\r\n"
                    length = 0
                }
                out += piece
                length += piece.count
            }
            lines.append(out)
        }
        return lines.joined(separator: "\r\n")
    }

    private static func hexEscape(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return "=" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 15)])
    }

    /// `Mon, 07 Dec 2026 04:10:41 +0000`, always in UTC, with English names whatever the locale.
    package static func date(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int?) -> String { value.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "00" }
        return "\(days[parts.weekday! - 1]), \(two(parts.day)) \(months[parts.month! - 1]) \(parts.year!) "
            + "\(two(parts.hour)):\(two(parts.minute)):\(two(parts.second)) +0000"
    }
}
