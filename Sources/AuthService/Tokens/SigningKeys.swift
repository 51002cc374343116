import Common
import Foundation
import JWTKit

/// The private key that signs access tokens and every public key that still verifies them.
struct SigningKeys: Sendable {
    let privateKey: ES256PrivateKey
    let signingKID: String
    /// The JWKS: the signing key first, then retired keys kept for rotation.
    let jwks: JWKSDocument

    init(privateKey: ES256PrivateKey, additionalPublicKeys: [ES256PublicKey] = []) throws {
        let signingJWK = try PublicJWK(es256: privateKey.publicKey)
        self.privateKey = privateKey
        self.signingKID = signingJWK.kid
        let others = try additionalPublicKeys.map { try PublicJWK(es256: $0) }.filter { $0.kid != signingJWK.kid }
        self.jwks = JWKSDocument(keys: [signingJWK] + others)
    }

    /// Loads PEM files; a missing or unreadable key stops the service with a clear reason.
    init(privateKeyFile: String, additionalPublicKeyFiles: [String]) throws {
        let privateKey: ES256PrivateKey
        do {
            privateKey = try ES256PrivateKey(pem: try String(contentsOfFile: privateKeyFile, encoding: .utf8))
        } catch {
            throw SigningKeyError(message: "cannot read an ES256 (P-256) private key from JWT_PRIVATE_KEY_FILE")
        }
        let publicKeys = try additionalPublicKeyFiles.map { file in
            do {
                return try ES256PublicKey(pem: try String(contentsOfFile: file, encoding: .utf8))
            } catch {
                throw SigningKeyError(message: "cannot read an ES256 public key from \(file)")
            }
        }
        try self.init(privateKey: privateKey, additionalPublicKeys: publicKeys)
    }
}
