import Foundation
import SMTP

/// Turns an outbox row into the message the server receives.
struct MailComposer: Sendable {
    let templates: MailTemplates
    let from: MailAddress

    func envelope(for mail: OutboxMail) -> SMTPEnvelope? {
        guard let kind = MailKind(rawValue: mail.kind), let content = self.templates.render(kind, mail.parameters) else { return nil }
        let message = MailMessage(
            from: self.from, to: Self.asciiDomain(mail.recipient), subject: content.subject, text: content.text, html: content.html,
            date: Date(), messageID: mail.messageID
        )
        return SMTPEnvelope(sender: self.from.address, recipient: Self.asciiDomain(mail.recipient), data: message.rendered())
    }

    /// The recipient with its domain in IDNA ASCII form (as signup stored it, in Unicode).
    static func asciiDomain(_ address: String) -> String {
        guard let at = address.lastIndex(of: "@"), let domain = EmailAddress.asciiDomain(String(address[address.index(after: at)...])) else {
            return address
        }
        return String(address[...at]) + domain
    }
}
