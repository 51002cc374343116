/// The kinds of mail, as the outbox's `kind` column stores them.
enum MailKind: String, CaseIterable, Sendable, CustomStringConvertible {
    /// A reset link (forgot password, or an admin's reset).
    case passwordReset = "password_reset"
    case emailVerification = "email_verification"
    /// The link that confirms a new address, sent to that address.
    case emailChangeConfirmation = "email_change_confirmation"
    /// To the old address: a change to another one was asked for.
    case emailChangeRequested = "email_change_requested"
    /// To the old address: the change was confirmed.
    case emailChanged = "email_changed"
    case passwordChanged = "password_changed"
    case passwordWasReset = "password_was_reset"
    /// An admin removed the account's second factor.
    case secondFactorRemoved = "second_factor_removed"

    var description: String { self.rawValue }
}

/// A mail's subject and its two bodies.
struct MailContent: Sendable, Equatable {
    var subject: String
    var text: String
    var html: String
}

/// The text of every mail. A link mail carries the link to the web app and, on a line of its own,
/// the token itself, for API clients that have no web page. Every value from the outside is escaped
/// in the HTML part.
struct MailTemplates: Sendable {
    /// `PUBLIC_URL`, without a trailing slash.
    let publicURL: String

    /// The mail of `kind` with its parameters (`username`, `token`, `email`); `nil` when one it needs is missing.
    func render(_ kind: MailKind, _ parameters: [String: String]) -> MailContent? {
        let name = parameters["username"] ?? "there"
        switch kind {
        case .passwordReset:
            guard let token = parameters["token"] else { return nil }
            return self.link(
                subject: "Reset your password", greeting: name,
                lead: "Someone (we hope you) asked to reset the password of your account \(name). The link works once, for a limited time.",
                action: "Reset password", path: "/#/reset-password?token=", token: token,
                trailer: "If you did not ask for this, ignore this mail: your password stays as it is."
            )
        case .emailVerification:
            guard let token = parameters["token"] else { return nil }
            return self.link(
                subject: "Confirm your email address", greeting: name, lead: "Please confirm that this address belongs to your account \(name).",
                action: "Confirm address", path: "/#/verify-email?token=", token: token,
                trailer: "If you did not sign up, ignore this mail."
            )
        case .emailChangeConfirmation:
            guard let token = parameters["token"] else { return nil }
            return self.link(
                subject: "Confirm your new email address", greeting: name,
                lead: "Your account \(name) asked to use this address from now on. It changes only once you confirm it.",
                action: "Confirm new address", path: "/#/verify-email?token=", token: token,
                trailer: "If you did not ask for this, ignore this mail: nothing changes."
            )
        case .emailChangeRequested:
            guard let email = parameters["email"] else { return nil }
            return self.notice(
                subject: "A change of your email address was requested", greeting: name,
                body: "Someone signed in to your account \(name) asked to change its address to \(email). It changes only if that address confirms it. If this was not you, change your password now."
            )
        case .emailChanged:
            guard let email = parameters["email"] else { return nil }
            return self.notice(
                subject: "Your email address was changed", greeting: name,
                body: "The address of your account \(name) is now \(email); this address no longer receives its mail. If this was not you, contact your administrator."
            )
        case .passwordChanged:
            return self.notice(
                subject: "Your password was changed", greeting: name,
                body: "The password of your account \(name) was just changed and its other sessions were ended. If this was not you, reset your password now."
            )
        case .passwordWasReset:
            return self.notice(
                subject: "Your password was reset", greeting: name,
                body: "The password of your account \(name) was just reset with a link sent to this address, and every session was ended. If this was not you, reset your password again and contact your administrator."
            )
        case .secondFactorRemoved:
            return self.notice(
                subject: "Two-factor authentication was removed", greeting: name,
                body: "An administrator removed the two-factor authentication of your account \(name) and ended its sessions; your password alone now signs in. Enrol a new authenticator from your profile. If you did not ask for this, contact your administrator."
            )
        default:
            return nil
        }
    }

    private func link(subject: String, greeting: String, lead: String, action: String, path: String, token: String, trailer: String) -> MailContent {
        let url = self.publicURL + path + token
        let text = """
            Hello \(greeting),

            \(lead)

            \(action): \(url)

            Or give this token to your application:
            \(token)

            \(trailer)
            """
        let html = """
            <!doctype html><html><body>
            <p>Hello \(Self.escape(greeting)),</p>
            <p>\(Self.escape(lead))</p>
            <p><a href="\(Self.escape(url))">\(Self.escape(action))</a></p>
            <p>Or give this token to your application:<br><code>\(Self.escape(token))</code></p>
            <p>\(Self.escape(trailer))</p>
            </body></html>
            """
        return MailContent(subject: subject, text: text, html: html)
    }

    private func notice(subject: String, greeting: String, body: String) -> MailContent {
        MailContent(
            subject: subject,
            text: "Hello \(greeting),\n\n\(body)\n",
            html: "<!doctype html><html><body>\n<p>Hello \(Self.escape(greeting)),</p>\n<p>\(Self.escape(body))</p>\n</body></html>"
        )
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
