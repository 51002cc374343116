import Crypto
import Foundation
import JWTKit

/// One public signing key as published in the JWKS (RFC 7517), with an RFC 7638 thumbprint as `kid`.
package struct PublicJWK: Codable, Sendable, Equatable {
    package var kty: String
    package var crv: String
    package var alg: String
    package var use: String
    package var kid: String
    package var x: String
    package var y: String

    package init(es256 key: ES256PublicKey) throws {
        guard let parameters = key.parameters else {
            throw SigningKeyError(message: "public key has no parameters")
        }
        self.kty = "EC"
        self.crv = "P-256"
        self.alg = AccessTokenHeaderValues.algorithm
        self.use = "sig"
        self.x = parameters.x
        self.y = parameters.y
        self.kid = Self.thumbprint(crv: self.crv, x: parameters.x, y: parameters.y)
    }

    /// RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace.
    static func thumbprint(crv: String, x: String, y: String) -> String {
        let canonical = #"{"crv":"\#(crv)","kty":"EC","x":"\#(x)","y":"\#(y)"}"#
        return Base64URL.encode(SHA256.hash(data: Data(canonical.utf8)))
    }

    /// A one-key collection for this key. jwt-kit also makes it the collection's default, so callers
    /// must pick the collection by `kid` first (``AccessTokenVerifier`` does).
    package func verificationKeys() async throws -> JWTKeyCollection {
        let key = try ES256PublicKey(parameters: (x: self.x, y: self.y))
        return await JWTKeyCollection().add(ecdsa: key, kid: JWKIdentifier(string: self.kid))
    }
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
