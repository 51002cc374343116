import Common
import Foundation
import JWTKit

/// The private key that signs access tokens and every public key that still verifies them.
///
/// Keys of three kinds are accepted, mixed: Ed25519 (EdDSA), P-256 (ES256) and RSA of at least 2048
/// bits (RS256). Each is published with its own `alg`, which verifiers pin to that key.
struct SigningKeys: Sendable {
    let signingKey: PrivateSigningKey
    var signingKID: String { self.signingKey.jwk.kid }
    /// The JWKS: the signing key first, then retired or upcoming keys kept for rotation.
    let jwks: JWKSDocument

    init(signingKey: PrivateSigningKey, additionalPublicKeys: [PublicJWK] = []) {
        self.signingKey = signingKey
        let others = additionalPublicKeys.filter { $0.kid != signingKey.jwk.kid }
        var seen = Set<String>()
        self.jwks = JWKSDocument(keys: ([signingKey.jwk] + others).filter { seen.insert($0.kid).inserted })
    }

    /// Loads PEM files; a missing or unreadable key stops the service with a clear reason.
    init(privateKeyFile: String, additionalPublicKeyFiles: [String]) throws {
        let privatePEM: String
        do {
            privatePEM = try String(contentsOfFile: privateKeyFile, encoding: .utf8)
        } catch {
            throw SigningKeyError(message: "cannot read JWT_PRIVATE_KEY_FILE (\(privateKeyFile))")
        }
        let signingKey = try PrivateSigningKey(pem: privatePEM)
        let publicKeys = try additionalPublicKeyFiles.map { file in
            guard let pem = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw SigningKeyError(message: "cannot read the public key file \(file)")
            }
            return try PublicJWK(pem: pem, source: file)
        }
        self.init(signingKey: signingKey, additionalPublicKeys: publicKeys)
    }
}

/// A private signing key of one of the accepted kinds, with its published public half.
struct PrivateSigningKey: Sendable {
    enum Kind: Sendable {
        case eddsa(EdDSA.PrivateKey)
        case es256(ES256PrivateKey)
        case rs256(JWTKit.Insecure.RSA.PrivateKey)
    }

    let kind: Kind
    let jwk: PublicJWK

    init(_ kind: Kind) throws {
        self.kind = kind
        switch kind {
        case .eddsa(let key): self.jwk = PublicJWK(eddsa: key.publicKey)
        case .es256(let key): self.jwk = try PublicJWK(es256: key.publicKey)
        case .rs256(let key): self.jwk = try PublicJWK(rsa: key.publicKey)
        }
    }

    /// Reads a PEM private key (PKCS#8, SEC1 or PKCS#1), whichever kind it is. An `EC PARAMETERS`
    /// block before a SEC1 key (what `openssl ecparam -genkey` writes) is skipped.
    init(pem text: String) throws {
        let pem = Self.privateKeyBlock(in: text)
        if let key = try? ES256PrivateKey(pem: pem) {
            try self.init(.es256(key))
        } else if let key = try? EdDSA.PrivateKey(pem: pem) {
            try self.init(.eddsa(key))
        } else if let key = try? JWTKit.Insecure.RSA.PrivateKey(pem: pem) {
            try self.init(.rs256(key))
        } else {
            throw SigningKeyError(
                message: "JWT_PRIVATE_KEY_FILE must hold an Ed25519, P-256 or RSA (2048 bits or more) private key in PEM"
            )
        }
    }

    var algorithm: SigningAlgorithm { SigningAlgorithm(rawValue: self.jwk.alg)! }

    /// The `... PRIVATE KEY` block of a PEM file that may hold other blocks too.
    static func privateKeyBlock(in text: String) -> String {
        guard let begin = text.range(of: "-----BEGIN ", options: [], range: nil),
            let keyBegin = text.range(of: #"-----BEGIN [A-Z ]*PRIVATE KEY-----"#, options: .regularExpression),
            keyBegin.lowerBound != begin.lowerBound,
            let keyEnd = text.range(of: #"-----END [A-Z ]*PRIVATE KEY-----"#, options: .regularExpression, range: keyBegin.upperBound..<text.endIndex)
        else { return text }
        return String(text[keyBegin.lowerBound..<keyEnd.upperBound]) + "\n"
    }

    /// A key collection that signs with this key under its `kid`.
    func keyCollection() async -> JWTKeyCollection {
        let keys = JWTKeyCollection()
        let kid = JWKIdentifier(string: self.jwk.kid)
        switch self.kind {
        case .eddsa(let key): await keys.add(eddsa: key, kid: kid)
        case .es256(let key): await keys.add(ecdsa: key, kid: kid)
        case .rs256(let key): await keys.add(rsa: key, digestAlgorithm: .sha256, kid: kid)
        }
        return keys
    }
}

extension PublicJWK {
    /// Reads a PEM public key (SPKI, or PKCS#1 for RSA) of any accepted kind.
    init(pem: String, source: String) throws {
        if let key = try? ES256PublicKey(pem: pem) {
            self = try PublicJWK(es256: key)
        } else if let key = try? EdDSA.PublicKey(pem: pem) {
            self = PublicJWK(eddsa: key)
        } else if let key = try? JWTKit.Insecure.RSA.PublicKey(pem: pem) {
            self = try PublicJWK(rsa: key)
        } else {
            throw SigningKeyError(message: "\(source) is not an Ed25519, P-256 or RSA (2048 bits or more) public key in PEM")
        }
    }
}
