import Crypto
import Foundation
import Common

/// A freshly minted refresh token and the session it belongs to.
struct IssuedRefreshToken: Sendable, Equatable {
    var token: String
    var sessionID: String
}

/// The outcome of presenting a refresh token.
enum RefreshOutcome: Sendable, Equatable {
    /// The token was live; it is now spent and `next` replaces it.
    case rotated(userID: Int, sessionID: String, next: String)
    case unknown
    case expired
    /// The token was already spent.
    case reused(userID: Int, sessionID: String)
}

/// Refresh sessions. Tokens are opaque (256 random bits) and stored only as their SHA-256.
protocol RefreshTokenStore: Sendable {
    /// Opens a session for the user and returns its first refresh token.
    func open(userID: Int, lifetime: Int) async throws -> IssuedRefreshToken
    /// Spends `token` and mints its successor in one atomic step.
    func rotate(_ token: String) async throws -> RefreshOutcome
}

/// Token and identifier generation shared by the stores.
enum RefreshTokenFormat {
    static func newToken() -> String {
        Base64URL.encode(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
    }

    static func newSessionID() -> String {
        Base64URL.encode(SymmetricKey(size: .bits128).withUnsafeBytes { Array($0) })
    }

    /// What is stored instead of the token: a hash, so a dump of Redis holds nothing usable.
    static func digest(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Tokens we mint are 43 base64url characters; anything else cannot be ours.
    static func isWellFormed(_ token: String) -> Bool {
        token.utf8.count == 43 && token.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D || byte == 0x5F
        }
    }
}
