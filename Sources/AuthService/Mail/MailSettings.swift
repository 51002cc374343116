import Common
import Configuration
import Foundation
import SMTP

/// `EMAIL_VERIFICATION`: whether signup asks the user to confirm their address, and whether signin
/// waits for it.
enum EmailVerificationMode: String, Sendable {
    /// No verification mail; addresses are what users typed.
    case off
    /// Signup sends a verification mail when mail is configured; nothing else changes.
    case optional
    /// As optional, and signin of an unverified account answers 403 `Email not verified`.
    case required
}

/// How the delivery worker retries: the delay doubles from `retryDelay` up to `maximumRetryDelay`.
struct MailDeliveryPolicy: Sendable, Equatable {
    /// Attempts before a mail is given up (and reported in the audit trail).
    var maximumAttempts: Int = 10
    var retryDelay: Double = 30
    var maximumRetryDelay: Double = 3600
    /// A claimed mail belongs to its replica this long (`MAIL_LEASE`); one whose replica died is
    /// picked up by another after it. The SMTP session is cut off well before it ends.
    var lease: Double = 300
    /// How often the outbox is looked at when nothing wakes the worker (another replica's mail).
    var pollInterval: Double = 1
    /// Mails claimed and sent in one SMTP session.
    var batchSize: Int = 20

    /// The wait before attempt `attempts + 1`, with ±20 % jitter so that replicas do not retry in step.
    func delay(afterAttempts attempts: Int) -> Double {
        let base = min(self.maximumRetryDelay, self.retryDelay * pow(2, Double(max(0, min(attempts - 1, 30)))))
        return base * Double.random(in: 0.8...1.2)
    }
}

/// Everything mail reads from the environment.
struct MailSettings: Sendable {
    /// `SMTP_URL`; `nil` when unset: then nothing is delivered (mails wait in the outbox) and signup
    /// sends no verification mail.
    var smtp: SMTPConfiguration?
    /// `MAIL_FROM`.
    var from: MailAddress
    /// `PUBLIC_URL`: where links in mails point (the web app behind the gateway).
    var publicURL: String
    var verification: EmailVerificationMode
    /// Seconds a reset link lives (`PASSWORD_RESET_TTL`).
    var passwordResetTTL: Int
    /// Seconds a verification or address-change link lives (`EMAIL_VERIFICATION_TTL`).
    var emailVerificationTTL: Int
    var delivery: MailDeliveryPolicy
    /// Mails one account may be sent per window on request (`MAIL_ACCOUNT_LIMIT` per `MAIL_ACCOUNT_WINDOW`).
    var accountLimit: Int
    var accountWindow: Int
    /// What migration 10 makes of the accounts it finds (`EXISTING_EMAILS_VERIFIED`).
    var existingEmailsVerified: Bool

    var isConfigured: Bool { self.smtp != nil }

    init(config: ConfigReader) throws {
        if let url = config.string(forKey: "smtp.url", isSecret: true), !url.isEmpty {
            do {
                self.smtp = try SMTPConfiguration(url: url, trustRootsFile: config.string(forKey: "smtp.ca.file"))
            } catch let error as SMTPError {
                throw ConfigurationError(message: error.message)
            }
        }
        let from = config.string(forKey: "mail.from", default: "Auth Backend <no-reply@localhost>")
        guard let address = MailAddress(from) else {
            throw ConfigurationError(message: "MAIL_FROM must be an address, or a name and an address in <>")
        }
        self.from = address
        self.smtp?.heloName = address.domain
        let publicURL = config.string(forKey: "public.url", default: "http://127.0.0.1:8080").trimmingSuffix("/")
        guard let parsed = URL(string: publicURL), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
            throw ConfigurationError(message: "PUBLIC_URL must be an http or https URL (where the web app is served)")
        }
        self.publicURL = publicURL
        let mode = config.string(forKey: "email.verification", default: "optional")
        guard let verification = EmailVerificationMode(rawValue: mode) else {
            throw ConfigurationError(message: "EMAIL_VERIFICATION must be off, optional or required")
        }
        if verification == .required, self.smtp == nil {
            throw ConfigurationError(message: "EMAIL_VERIFICATION=required needs SMTP_URL: no one could ever verify")
        }
        self.verification = verification
        self.passwordResetTTL = try config.positiveInt(forKey: "password.reset.ttl", default: 1800)
        self.emailVerificationTTL = try config.positiveInt(forKey: "email.verification.ttl", default: 86_400)
        self.delivery = MailDeliveryPolicy(
            maximumAttempts: try config.positiveInt(forKey: "mail.max.attempts", default: 10),
            retryDelay: try config.positiveSeconds(forKey: "mail.retry.delay", default: 30),
            maximumRetryDelay: try config.positiveSeconds(forKey: "mail.max.retry.delay", default: 3600),
            lease: try config.positiveSeconds(forKey: "mail.lease", default: 300),
            pollInterval: try config.positiveSeconds(forKey: "mail.poll.interval", default: 1),
            batchSize: try config.positiveInt(forKey: "mail.batch.size", default: 20)
        )
        self.accountLimit = try config.positiveInt(forKey: "mail.account.limit", default: 5)
        self.accountWindow = try config.positiveInt(forKey: "mail.account.window", default: 3600)
        self.existingEmailsVerified = config.bool(forKey: "existing.emails.verified", default: true)
    }
}
