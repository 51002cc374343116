import Common
import Crypto
import Foundation

/// A refresh token that names its session and generation: `<sid>.<generation>.<family>.<secret>`.
///
/// The session record alone then decides every case, whatever the number of refreshes: it keeps the
/// current generation with a digest of its secret, the previous one's digest (for the grace window and
/// the unused-successor replay) and a digest of the family, a secret every token of the session
/// carries. A token of an older generation whose family matches is a spent token of this session
/// (reuse); one whose family does not was never ours, so a session id seen in an access token is not
/// enough to revoke a session.
///
/// A successor's secret is derived from the presented token and a random nonce that the record keeps
/// while the successor is unused, so a replay of the previous token can be handed the same successor
/// again without the store holding it: only a holder of the previous token can derive it. Once the
/// successor rotates, its nonce is replaced, and no older token leads to a newer one.
struct SessionRefreshToken: Sendable, Equatable {
    /// The session (`sid`), 22 base64url characters.
    var sessionID: String
    /// 1 for the token a signin hands out, one more at every rotation.
    var generation: Int
    /// 128 random bits shared by every token of the session (renewal draws new ones).
    var family: String
    /// 256 bits, random or derived; only its digest is stored.
    var secret: String

    /// The largest generation a token may name: a refresh a second for thirty years.
    static let maximumGeneration = 999_999_999

    var text: String { "\(self.sessionID).\(self.generation).\(self.family).\(self.secret)" }

    /// The first token of a new session, or of a renewed one (at `generation`): a new family.
    static func first(sessionID: String, generation: Int = 1) -> SessionRefreshToken {
        SessionRefreshToken(sessionID: sessionID, generation: generation, family: Self.random(bits: .bits128), secret: Self.random(bits: .bits256))
    }

    /// A fresh nonce for a rotation: what the record keeps instead of the successor.
    static func newNonce() -> String {
        self.random(bits: .bits128)
    }

    /// The token that replaces this one, derived with `nonce`.
    func successor(nonce: String) -> SessionRefreshToken {
        SessionRefreshToken(
            sessionID: self.sessionID, generation: self.generation + 1, family: self.family,
            secret: Self.derive(from: self.text, nonce: nonce, label: "successor \(self.sessionID) \(self.generation + 1)")
        )
    }

    /// The first token of the session format for a session whose live token was of the earlier
    /// 43-character format: its family and secret derived from that token with `nonce`, so that a
    /// replay of the old token can be handed the same successor.
    static func migrating(legacy token: String, sessionID: String, nonce: String) -> SessionRefreshToken {
        SessionRefreshToken(
            sessionID: sessionID, generation: 1,
            family: self.derive(from: token, nonce: nonce, label: "family \(sessionID)", bytes: 16),
            secret: self.derive(from: token, nonce: nonce, label: "successor \(sessionID) 1")
        )
    }

    /// The token in `text`, or `nil` when it is not of this format.
    init?(parsing text: String) {
        let parts = text.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4, let sessionID = String(parts[0]), let digits = String(parts[1]),
            let family = String(parts[2]), let secret = String(parts[3]),
            RefreshTokenFormat.isPlausibleSessionID(sessionID), Self.isCanonicalGeneration(digits), let generation = Int(digits),
            family.utf8.count == 22, secret.utf8.count == 43, Base64URL.decode(family) != nil, Base64URL.decode(secret) != nil
        else { return nil }
        self.init(sessionID: sessionID, generation: generation, family: family, secret: secret)
    }

    init(sessionID: String, generation: Int, family: String, secret: String) {
        self.sessionID = sessionID
        self.generation = generation
        self.family = family
        self.secret = secret
    }

    /// What the record keeps of a secret or a family: base64url SHA-256, 43 characters (short enough
    /// for Redis to keep the record in its compact encoding).
    static func digest(_ value: String) -> String {
        Base64URL.encode(SHA256.hash(data: Data(value.utf8)))
    }

    /// Digits only, no leading zero, from 1 to ``maximumGeneration``: one spelling per generation.
    private static func isCanonicalGeneration(_ digits: String) -> Bool {
        let bytes = Array(digits.utf8)
        guard (1...9).contains(bytes.count), bytes.first != UInt8(ascii: "0") else { return false }
        return bytes.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    private static func random(bits: SymmetricKeySize) -> String {
        Base64URL.encode(SymmetricKey(size: bits).withUnsafeBytes { Array($0) })
    }

    private static func derive(from token: String, nonce: String, label: String, bytes: Int = 32) -> String {
        let key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Data(token.utf8)), salt: Data(nonce.utf8), info: Data(label.utf8), outputByteCount: bytes
        )
        return Base64URL.encode(key.withUnsafeBytes { Array($0) })
    }
}
