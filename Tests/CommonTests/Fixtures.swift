import Common
import Crypto
import Foundation
import JWTKit
import Testing
import TestSupport

let testIssuer = "test-issuer"
let testAudience = "test-audience"

/// An ES256 key pair with the JWKS entry the auth service would publish for it, and helpers to mint
/// tokens with it: through jwt-kit (as `AccessTokenIssuer` does) or by hand, to forge hostile ones.
struct TestSigningKey {
    let privateKey: ES256PrivateKey
    let jwk: PublicJWK

    init() throws {
        self.privateKey = ES256PrivateKey()
        self.jwk = try PublicJWK(es256: self.privateKey.publicKey)
    }

    var kid: String { self.jwk.kid }

    func claims(now: Double, lifetime: Int = 900, roles: [String] = ["user"]) -> AccessTokenClaims {
        AccessTokenClaims(
            iss: testIssuer, aud: testAudience, id: 42, roles: roles, sid: "session-1",
            jti: UUID().uuidString, iat: Int(now), exp: Int(now) + lifetime
        )
    }

    /// Signs like the auth service: jwt-kit, header `kid` and `typ: at+jwt`.
    func sign(_ claims: AccessTokenClaims) async throws -> String {
        let keys = await JWTKeyCollection().add(ecdsa: self.privateKey, kid: JWKIdentifier(string: self.kid))
        var header = JWTHeader()
        header.typ = AccessTokenType.value
        header.alg = "ES256"
        return try await keys.sign(claims, kid: JWKIdentifier(string: self.kid), header: header)
    }

    /// Builds a compact JWS from raw header and payload JSON, signed with this key (ES256, raw r||s).
    func forge(header: [String: Any], payload: Data) throws -> String {
        let signingInput = try Self.signingInput(header: header, payload: payload)
        let key = try P256.Signing.PrivateKey(pemRepresentation: self.privateKey.pemRepresentation)
        let signature = try key.signature(for: Data(signingInput.utf8))
        return signingInput + "." + Base64URL.encode(signature.rawRepresentation)
    }

    /// The header the auth service writes, as a dictionary a test can bend.
    var standardHeader: [String: Any] {
        ["alg": "ES256", "typ": "at+jwt", "kid": self.kid]
    }

    static func signingInput(header: [String: Any], payload: Data) throws -> String {
        let headerJSON = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        return Base64URL.encode(headerJSON) + "." + Base64URL.encode(payload)
    }

    static func payload(_ claims: AccessTokenClaims) throws -> Data {
        try JSONEncoder().encode(claims)
    }
}

/// A verifier over static keys, as the auth service builds its own.
func makeVerifier(keys: [TestSigningKey], clock: any WallClock) async throws -> AccessTokenVerifier {
    AccessTokenVerifier(
        keys: try await StaticVerificationKeys(JWKSDocument(keys: keys.map(\.jwk))),
        issuer: testIssuer,
        audience: testAudience,
        leeway: 30,
        clock: clock
    )
}

/// The JSON object inside one base64url part of a compact token.
func decodedPart(_ part: some StringProtocol) throws -> [String: Any] {
    let data = try #require(Base64URL.decode(part))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

/// The token with its payload edited and its original header and signature kept.
func tamperingPayload(of token: String, _ edit: (inout [String: Any]) -> Void) throws -> String {
    let parts = token.split(separator: ".").map(String.init)
    var payload = try decodedPart(parts[1])
    edit(&payload)
    return [parts[0], Base64URL.encode(try JSONSerialization.data(withJSONObject: payload)), parts[2]].joined(separator: ".")
}
