import Crypto
import Foundation
import JWTKit

/// One public signing key as published in the JWKS (RFC 7517): Ed25519 (`OKP`, EdDSA), P-256 (`EC`,
/// ES256) or RSA (RS256), named by its RFC 7638 thumbprint. Its `alg` is the only algorithm a
/// verifier accepts for it.
package struct PublicJWK: Codable, Sendable, Equatable {
    package var kty: String
    package var crv: String?
    package var x: String?
    package var y: String?
    package var n: String?
    package var e: String?
    package var alg: String
    package var use: String
    package var kid: String

    package init(es256 key: ES256PublicKey) throws {
        guard let parameters = key.parameters else {
            throw SigningKeyError(message: "public key has no parameters")
        }
        self.init(kty: "EC", crv: "P-256", x: parameters.x, y: parameters.y, alg: SigningAlgorithm.es256.rawValue)
    }

    package init(eddsa key: EdDSA.PublicKey) {
        self.init(kty: "OKP", crv: "Ed25519", x: Base64URL.encode(key.rawRepresentation), alg: SigningAlgorithm.eddsa.rawValue)
    }

    package init(rsa key: JWTKit.Insecure.RSA.PublicKey) throws {
        let primitives = try key.getKeyPrimitives()
        self.init(
            kty: "RSA", n: Base64URL.encode(primitives.modulus), e: Base64URL.encode(primitives.publicExponent),
            alg: SigningAlgorithm.rs256.rawValue
        )
    }

    private init(kty: String, crv: String? = nil, x: String? = nil, y: String? = nil, n: String? = nil, e: String? = nil, alg: String) {
        self.kty = kty
        self.crv = crv
        self.x = x
        self.y = y
        self.n = n
        self.e = e
        self.alg = alg
        self.use = "sig"
        self.kid = ""
        self.kid = Self.thumbprint(of: self)
    }

    /// RFC 7638: SHA-256 over the key type's required members in lexicographic order, no whitespace.
    static func thumbprint(of key: PublicJWK) -> String {
        let canonical: String =
            switch key.kty {
            case "EC": #"{"crv":"\#(key.crv ?? "")","kty":"EC","x":"\#(key.x ?? "")","y":"\#(key.y ?? "")"}"#
            case "OKP": #"{"crv":"\#(key.crv ?? "")","kty":"OKP","x":"\#(key.x ?? "")"}"#
            default: #"{"e":"\#(key.e ?? "")","kty":"RSA","n":"\#(key.n ?? "")"}"#
            }
        return Base64URL.encode(SHA256.hash(data: Data(canonical.utf8)))
    }

    /// The verification key this entry describes, with its algorithm pinned; `nil` for an entry of
    /// a kind or algorithm we do not accept (it is ignored, never used with another algorithm).
    package func verificationKey() async throws -> VerificationKey? {
        let keys = JWTKeyCollection()
        let kid = JWKIdentifier(string: self.kid)
        switch (self.kty, self.crv, SigningAlgorithm(rawValue: self.alg)) {
        case ("EC", "P-256", .es256):
            guard let x = self.x, let y = self.y else { return nil }
            await keys.add(ecdsa: try ES256PublicKey(parameters: (x: x, y: y)), kid: kid)
        case ("OKP", "Ed25519", .eddsa):
            guard let x = self.x else { return nil }
            await keys.add(eddsa: try EdDSA.PublicKey(x: x, curve: .ed25519), kid: kid)
        case ("RSA", nil, .rs256):
            guard let n = self.n, let e = self.e else { return nil }
            await keys.add(rsa: try JWTKit.Insecure.RSA.PublicKey(modulus: n, exponent: e), digestAlgorithm: .sha256, kid: kid)
        default:
            return nil
        }
        return VerificationKey(kid: self.kid, algorithm: self.alg, signer: try await keys.getKey(for: kid))
    }
}

/// The algorithms access tokens may be signed with, one per key kind.
package enum SigningAlgorithm: String, Sendable, CaseIterable {
    case eddsa = "EdDSA"
    case es256 = "ES256"
    case rs256 = "RS256"
}

/// The document served at `/.well-known/jwks.json`.
package struct JWKSDocument: Codable, Sendable, Equatable {
    package var keys: [PublicJWK]
    package init(keys: [PublicJWK]) { self.keys = keys }
}

/// A signing or verification key that could not be loaded or used.
package struct SigningKeyError: Error, CustomStringConvertible {
    package let message: String
    package init(message: String) { self.message = message }
    package var description: String { "SigningKeyError: \(self.message)" }
}
