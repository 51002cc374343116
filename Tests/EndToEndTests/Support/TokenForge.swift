import Common
import Crypto
import Foundation
import JWTKit
import Testing

/// Mints access tokens the way an attacker (or a broken issuer) would, using the real key file
/// where the attack needs a valid signature.
struct TokenForge {
    let privateKey: ES256PrivateKey
    let kid: String

    init() throws {
        let pem = try String(contentsOfFile: try TestEnvironment.require("JWT_PRIVATE_KEY_FILE"), encoding: .utf8)
        self.privateKey = try ES256PrivateKey(pem: pem)
        self.kid = try PublicJWK(es256: self.privateKey.publicKey).kid
    }

    static func claims(
        id: Int = 1, roles: [String] = ["user"], issuer: String = "auth-backend", audience: String = "auth-backend-api",
        issuedAt: Int = Int(Date().timeIntervalSince1970), lifetime: Int = 600
    ) -> AccessTokenClaims {
        AccessTokenClaims(
            iss: issuer, aud: audience, id: id, roles: roles, sid: "forged-session", jti: UUID().uuidString,
            iat: issuedAt, exp: issuedAt + lifetime
        )
    }

    /// Signed with the real private key: only the claims make it wrong.
    func signed(_ claims: AccessTokenClaims, type: String = "at+jwt") async throws -> String {
        let keys = await JWTKeyCollection().add(ecdsa: self.privateKey, kid: JWKIdentifier(string: self.kid))
        var header = JWTHeader()
        header.typ = type
        return try await keys.sign(claims, kid: JWKIdentifier(string: self.kid), header: header)
    }

    /// `alg: none`, no signature.
    func unsigned(_ claims: AccessTokenClaims) throws -> String {
        let header = #"{"alg":"none","typ":"at+jwt","kid":"\#(self.kid)"}"#
        return Base64URL.encode(Data(header.utf8)) + "." + Base64URL.encode(try JSONEncoder().encode(claims)) + "."
    }

    /// HS256 with the public key's PEM as the HMAC secret: the classic key-confusion attack.
    func hmacWithPublicKey(_ claims: AccessTokenClaims) throws -> String {
        let header = #"{"alg":"HS256","typ":"at+jwt","kid":"\#(self.kid)"}"#
        let input = Base64URL.encode(Data(header.utf8)) + "." + Base64URL.encode(try JSONEncoder().encode(claims))
        let secret = SymmetricKey(data: Data(self.privateKey.publicKey.pemRepresentation.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: secret)
        return input + "." + Base64URL.encode(Data(mac))
    }

    /// A real token with its payload swapped for one granting `admin`, signature kept.
    static func tampered(_ token: String) throws -> String {
        let parts = token.split(separator: ".").map(String.init)
        try #require(parts.count == 3)
        let payloadData = try #require(Base64URL.decode(parts[1]))
        var payload = try #require(try JSONSerialization.jsonObject(with: payloadData) as? [String: Any])
        payload["roles"] = ["user", "moderator", "admin"]
        let forged = try JSONSerialization.data(withJSONObject: payload)
        return parts[0] + "." + Base64URL.encode(forged) + "." + parts[2]
    }
}
