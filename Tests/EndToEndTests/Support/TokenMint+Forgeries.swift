import Common
import Crypto
import Foundation
import JWTKit
import TestSupport

/// Access tokens minted the way an attacker (or a broken issuer) would, with the real key file
/// where the attack needs a valid signature.
extension TokenMint {
    /// A mint over the key the running auth service signs with, for its issuer and audience.
    static func systemKey() throws -> TokenMint {
        let pem = try String(contentsOfFile: try TestEnvironment.require("JWT_PRIVATE_KEY_FILE"), encoding: .utf8)
        return try TokenMint(privateKey: try ES256PrivateKey(pem: pem), issuer: "auth-backend", audience: "auth-backend-api")
    }

    /// `alg: none`, no signature.
    func unsigned(_ claims: AccessTokenClaims) throws -> String {
        try Self.signingInput(header: ["alg": "none", "typ": "at+jwt", "kid": self.kid], payload: try Self.payload(claims)) + "."
    }

    /// HS256 with the public key's PEM as the HMAC secret: the classic key-confusion attack.
    func hmacWithPublicKey(_ claims: AccessTokenClaims) throws -> String {
        let input = try Self.signingInput(header: ["alg": "HS256", "typ": "at+jwt", "kid": self.kid], payload: try Self.payload(claims))
        let secret = SymmetricKey(data: Data(self.privateKey.publicKey.pemRepresentation.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: secret)
        return input + "." + Base64URL.encode(Data(mac))
    }

    /// A real token with its payload swapped for one granting `admin`, signature kept.
    static func grantingAdmin(_ token: String) throws -> String {
        try tamperingPayload(of: token) { $0["roles"] = ["user", "moderator", "admin"] }
    }
}
