import Common
import Crypto
import Foundation

/// Session identifiers, and the refresh tokens of the earlier format (43 base64url characters, 256
/// random bits, stored as `rt:<hex SHA-256>`) that sessions opened before the session format still
/// hold until their next rotation (``SessionRefreshToken/migrating(legacy:sessionID:nonce:)``).
enum RefreshTokenFormat {
    static func newSessionID() -> String {
        Base64URL.encode(SymmetricKey(size: .bits128).withUnsafeBytes { Array($0) })
    }

    /// What an earlier-format token is stored under: a hash, so a dump of Redis holds nothing usable.
    static func digest(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Whether `token` is of the earlier format: 43 base64url characters.
    static func isLegacyToken(_ token: String) -> Bool {
        token.utf8.count == 43 && self.isBase64URL(token)
    }

    /// Session ids we mint are 22 base64url characters; anything else names no session.
    static func isPlausibleSessionID(_ id: String) -> Bool {
        id.utf8.count == 22 && self.isBase64URL(id)
    }

    private static func isBase64URL(_ text: String) -> Bool {
        text.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D || byte == 0x5F
        }
    }
}
