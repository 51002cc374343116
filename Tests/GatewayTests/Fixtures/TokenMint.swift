@testable import Gateway
import Common
import Foundation
import JWTKit

let testIssuer = "test-issuer"
let testAudience = "test-audience"

/// The auth service's side of a test: a signing key, its JWKS entry, and tokens signed as the auth
/// service signs them (ES256, `kid`, `typ: at+jwt`, a UUIDv7 `jti`).
struct TokenMint: Sendable {
    let privateKey: ES256PrivateKey
    let jwk: PublicJWK

    init() throws {
        self.privateKey = ES256PrivateKey()
        self.jwk = try PublicJWK(es256: self.privateKey.publicKey)
    }

    var jwks: JWKSDocument { JWKSDocument(keys: [self.jwk]) }

    /// Claims for a fresh user and session, issued at `issuedAt` (the `jti` carries it to the millisecond).
    func claims(roles: [String] = ["user"], issuedAt: Date = Date(), lifetime: Int = 900, userID: Int? = nil) -> AccessTokenClaims {
        let seconds = Int(issuedAt.timeIntervalSince1970)
        return AccessTokenClaims(
            iss: testIssuer, aud: testAudience, id: userID ?? Int.random(in: 1_000_000...Int(Int32.max)), roles: roles,
            sid: UUID().uuidString, jti: UUIDv7.make(milliseconds: Int64(issuedAt.timeIntervalSince1970 * 1000)),
            iat: seconds, exp: seconds + lifetime
        )
    }

    func sign(_ claims: AccessTokenClaims) async throws -> String {
        let keys = await JWTKeyCollection().add(ecdsa: self.privateKey, kid: JWKIdentifier(string: self.jwk.kid))
        var header = JWTHeader()
        header.typ = AccessTokenType.value
        return try await keys.sign(claims, kid: JWKIdentifier(string: self.jwk.kid), header: header)
    }

    func token(roles: [String] = ["user"], issuedAt: Date = Date(), lifetime: Int = 900) async throws -> String {
        try await self.sign(self.claims(roles: roles, issuedAt: issuedAt, lifetime: lifetime))
    }

    /// The key set a gateway loop holds once it has fetched this mint's JWKS.
    func keySet() async throws -> VerificationKeySet {
        try await VerificationKeySet(jwks: self.jwks)
    }
}
