import Foundation
@testable import SMTP
import Testing

/// What the mail looks like on the wire: dot-stuffing, quoted-printable, RFC 2047 words, the date.
@Suite struct MailFormatTests {
    @Test func dotStuffingDoublesLeadingDotsAndEndsWithTheTerminator() {
        let stuffed = SMTPDataEncoding.stuffed(Array(".a\n..b\r\nc.\rd".utf8))
        #expect(String(decoding: stuffed, as: UTF8.self) == "..a\r\n...b\r\nc.\r\nd\r\n.\r\n")
    }

    @Test func aMessageEndingInCRLFGetsNoEmptyLineBeforeTheTerminator() {
        #expect(String(decoding: SMTPDataEncoding.stuffed(Array("x\r\n".utf8)), as: UTF8.self) == "x\r\n.\r\n")
    }

    @Test func quotedPrintableKeepsLinesShortAndEscapesWhatItMust() {
        let text = String(repeating: "a", count: 100) + " \n=é."
        let encoded = MIMEEncoding.quotedPrintable(text)
        for line in encoded.components(separatedBy: "\r\n") { #expect(line.count <= 76) }
        #expect(encoded.contains("=3D=C3=A9."))
        #expect(encoded.contains("=20\r\n") || encoded.hasSuffix("=20"))
    }

    @Test func asciiSubjectsStayPlainOthersBecomeEncodedWords() {
        #expect(MIMEEncoding.encodedWords("Reset your password", prefixLength: 9) == "Reset your password")
        let encoded = MIMEEncoding.encodedWords("Réinitialisez votre mot de passe — maintenant, s’il vous plaît", prefixLength: 9)
        let words = encoded.components(separatedBy: "\r\n ")
        #expect(words.count >= 2)
        var bytes: [UInt8] = []
        for word in words {
            #expect(word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?=") && word.count <= 75)
            bytes += Array(Data(base64Encoded: String(word.dropFirst(10).dropLast(2)))!)
        }
        // No word splits a character: each decodes alone, and together they are the subject.
        #expect(String(decoding: bytes, as: UTF8.self) == "Réinitialisez votre mot de passe — maintenant, s’il vous plaît")
    }

    @Test func theDateIsRFC5322InUTC() {
        #expect(MIMEEncoding.date(Date(timeIntervalSince1970: 1_796_616_641)) == "Mon, 07 Dec 2026 04:10:41 +0000")
    }

    @Test func aRenderedMessageHasTheHeadersAndBothParts() {
        let message = MailMessage(
            from: MailAddress("Auth Backend <no-reply@example.com>")!, to: "alice@example.com", subject: "Grüße",
            text: "Hello\n.dot", html: "<p>Hello</p>", date: Date(timeIntervalSince1970: 0), messageID: "1@example.com"
        )
        let text = String(decoding: message.rendered(boundary: "B"), as: UTF8.self)
        #expect(text.hasPrefix("From: \"Auth Backend\" <no-reply@example.com>\r\nTo: alice@example.com\r\nSubject: =?UTF-8?B?"))
        #expect(text.contains("\r\nDate: Thu, 01 Jan 1970 00:00:00 +0000\r\nMessage-ID: <1@example.com>\r\nMIME-Version: 1.0\r\n"))
        #expect(text.contains("Content-Type: multipart/alternative;\r\n boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain; charset=utf-8"))
        #expect(text.contains("Hello\r\n=2Edot\r\n--B\r\nContent-Type: text/html; charset=utf-8"))
        #expect(text.hasSuffix("--B--\r\n"))
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
    }

    @Test func mailFromIsParsedAndRefusedWhenItCouldInjectHeaders() {
        #expect(MailAddress("no-reply@example.com") == MailAddress(displayName: nil, address: "no-reply@example.com"))
        #expect(MailAddress("\"Auth\" <a@b.example>") == MailAddress(displayName: "Auth", address: "a@b.example"))
        #expect(MailAddress("a@b.example\r\nBcc: x@y") == nil)
        #expect(MailAddress("no address") == nil)
    }

    @Test func theURLGivesSecurityCredentialsAndPorts() throws {
        let plain = try SMTPConfiguration(url: "smtp://127.0.0.1:2525")
        #expect(plain.security == .opportunisticSTARTTLS && plain.port == 2525 && plain.credentials == nil && plain.isLoopback)
        let required = try SMTPConfiguration(url: "smtp://u%40x:p%3Aw@mail.example?starttls=required")
        #expect(required.security == .requiredSTARTTLS && required.port == 25)
        #expect(required.credentials == .init(username: "u@x", password: "p:w"))
        #expect(!required.description.contains("p:w"))
        let implicit = try SMTPConfiguration(url: "smtps://mail.example")
        #expect(implicit.security == .implicitTLS && implicit.port == 465)
        #expect(throws: SMTPError.self) { try SMTPConfiguration(url: "http://mail.example") }
        #expect(throws: SMTPError.self) { try SMTPConfiguration(url: "smtp://mail.example?starttls=maybe") }
    }
}
