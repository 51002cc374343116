import Crypto
import Foundation

/// Seals TOTP secrets for the database with AES-256-GCM under `MFA_ENCRYPTION_KEY_FILE`, and derives
/// the key recovery codes are hashed with, so that a copy of the database alone reveals neither.
///
/// A sealed secret reads `v1.<kid>.<base64 of nonce, ciphertext and tag>`, `kid` naming the key (the
/// first 8 bytes of its SHA-256, in hex). Keys from `MFA_ENCRYPTION_PREVIOUS_KEY_FILES` still open what
/// they sealed; a secret sealed under one is sealed again under the current key at its next use.
/// Recovery codes are hashed under the current key only: rotating it invalidates the unused ones
/// (regenerate them), which the rotation steps in docs/configuration.md say.
struct SecretBox: Sendable {
    struct Key: Sendable {
        let id: String
        let key: SymmetricKey
    }

    let current: Key
    let previous: [Key]

    /// A key file holds 32 random bytes in base64 (`openssl rand -base64 32`), surrounding white space ignored.
    static func key(fromFile path: String) throws -> Key {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SecretBoxError(message: "MFA encryption key file \(path) cannot be read")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let bytes = Data(base64Encoded: text), bytes.count == 32 else {
            throw SecretBoxError(message: "MFA encryption key file \(path) must hold 32 bytes in base64 (openssl rand -base64 32)")
        }
        return self.key(bytes)
    }

    static func key(_ bytes: Data) -> Key {
        let digest = SHA256.hash(data: bytes)
        return Key(id: digest.prefix(8).map { String(format: "%02x", $0) }.joined(), key: SymmetricKey(data: bytes))
    }

    func seal(_ secret: [UInt8]) throws -> String {
        let box = try AES.GCM.seal(Data(secret), using: self.current.key)
        guard let combined = box.combined else { throw SecretBoxError(message: "AES-GCM produced no combined form") }
        return "v1.\(self.current.id).\(combined.base64EncodedString())"
    }

    /// The secret, or `nil` when it was sealed under a key this service does not have, or altered.
    func open(_ sealed: String) -> [UInt8]? {
        let parts = sealed.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "v1", let combined = Data(base64Encoded: String(parts[2])),
            let key = ([self.current] + self.previous).first(where: { $0.id == parts[1] }),
            let box = try? AES.GCM.SealedBox(combined: combined),
            let opened = try? AES.GCM.open(box, using: key.key)
        else { return nil }
        return Array(opened)
    }

    /// Whether a sealed secret should be sealed again under the current key.
    func isStale(_ sealed: String) -> Bool {
        !sealed.hasPrefix("v1.\(self.current.id).")
    }

    /// A recovery code's stored form: HMAC-SHA256 under a key derived from the current one.
    func recoveryCodeHash(_ normalised: String) -> String {
        let derived = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: self.current.key, info: Data("recovery codes".utf8), outputByteCount: 32
        )
        return HMAC<SHA256>.authenticationCode(for: Data(normalised.utf8), using: derived).map { String(format: "%02x", $0) }.joined()
    }
}

struct SecretBoxError: Error, CustomStringConvertible {
    var message: String
    var description: String { self.message }
}
