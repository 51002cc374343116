import Common
import Crypto
import Foundation

/// A single-use link token: 256 random bits for the mail (43 base64url characters), only its
/// SHA-256 for the database.
struct MailToken: Sendable {
    let token: String
    let hash: String

    static func new() -> MailToken {
        let token = Base64URL.encode(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
        return MailToken(token: token, hash: Self.digest(token))
    }

    /// The hash of a presented token; `nil` when it cannot be one of ours (no database look-up then).
    static func hash(ofPresented token: String) -> String? {
        token.utf8.count == 43 && Base64URL.decode(token) != nil ? Self.digest(token) : nil
    }

    private static func digest(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// What a token proves, as the `purpose` column stores it.
enum MailTokenPurpose: String, Sendable {
    case passwordReset = "password_reset"
    case emailVerification = "email_verification"
    case emailChange = "email_change"
}

/// What a reset did: the account (its name, for the lockout to clear) and its new credential epoch.
struct PasswordReset: Sendable, Equatable {
    var userID: Int
    var username: String
    var epoch: Int
}

/// What a verification or address-change link did.
enum EmailConfirmation: Sendable, Equatable {
    case verified(userID: Int)
    case changed(userID: Int, to: String)
    /// Unknown, used, expired, or for an address the account no longer has.
    case invalid
}

/// Whether a verification mail went out.
enum VerificationRequest: Sendable, Equatable {
    case queued
    case alreadyVerified
    case noAccount
}

/// Tokens and the mails that carry them, each pair written in one transaction (one statement), so
/// that no token exists without its mail and no mail without its token. Every write acts only before
/// its deadline (``TimeBoundDatabase``).
protocol AccountMailRepository: Sendable {
    /// A reset link for the enabled account with this email key; the user's id when one was queued.
    /// Does the same work whether or not the account exists.
    func requestPasswordReset(emailKey: String, token: MailToken, ttl: Int) async throws -> Int?
    /// A reset link for the account `userID` (an admin's reset); whether it exists and is enabled.
    func requestPasswordReset(userID: Int, token: MailToken, ttl: Int) async throws -> Bool
    /// The account a live (unused, unexpired) token of `purpose` belongs to.
    func userOfToken(hash: String, purpose: MailTokenPurpose) async throws -> Int?
    /// Spends the reset token, sets the password hash and advances the credential epoch, retires every
    /// other reset token of the account and queues the notice, in one statement; `nil` when the token
    /// is not live (or the account is disabled).
    func resetPassword(tokenHash: String, newPasswordHash: String) async throws -> PasswordReset?
    /// A verification link for the account's current address, unless it is verified already.
    func requestVerification(userID: Int, token: MailToken, ttl: Int) async throws -> VerificationRequest
    /// A confirmation link to `newEmail` and a notice to the current address; `false` when no such enabled account.
    func requestEmailChange(userID: Int, newEmail: String, newEmailKey: String, token: MailToken, ttl: Int) async throws -> Bool
    /// Spends a verification or address-change token. Throws ``UserConflict`` when the new address
    /// has been taken since the link was sent (nothing is spent then).
    func confirmEmail(tokenHash: String) async throws -> EmailConfirmation
    /// Whether an account has this email key (the new address of a change must be free).
    func isEmailTaken(key: String) async throws -> Bool
    /// Queues a notice without a token (a password change) to the account's address.
    func queueNotice(_ kind: MailKind, userID: Int) async throws
}
