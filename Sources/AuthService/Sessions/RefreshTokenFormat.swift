import Common
import Crypto
import Foundation

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
