import Common
import Foundation
import JWTKit

/// The issuer and audience every service under test is configured with.
package let testIssuer = "test-issuer"
package let testAudience = "test-audience"

/// The auth service's side of a test: a signing key, its JWKS entry, and tokens signed as the auth
/// service signs them (ES256, `kid`, `typ: at+jwt`, a UUIDv7 `jti`).
package struct TokenMint: Sendable {
    package let privateKey: ES256PrivateKey
    package let jwk: PublicJWK
    /// What `claims` writes into `iss` and `aud` unless told otherwise.
    package let issuer: String
    package let audience: String

    /// A fresh key by default; the end-to-end suite passes the key the real auth service signs with.
    package init(privateKey: ES256PrivateKey = ES256PrivateKey(), issuer: String = testIssuer, audience: String = testAudience) throws {
        self.privateKey = privateKey
        self.jwk = try PublicJWK(es256: privateKey.publicKey)
        self.issuer = issuer
        self.audience = audience
    }

    package var kid: String { self.jwk.kid }

    /// The JWKS document that publishes this mint's key.
    package var jwks: JWKSDocument { JWKSDocument(keys: [self.jwk]) }

    /// Claims for a fresh user (unless `userID` names one) and session, issued at `issuedAt` (the
    /// `jti` carries it to the millisecond).
    package func claims(
        roles: [String] = ["user"], issuedAt: Date = Date(), lifetime: Int = 900, userID: Int? = nil,
        issuer: String? = nil, audience: String? = nil
    ) -> AccessTokenClaims {
        let seconds = Int(issuedAt.timeIntervalSince1970)
        return AccessTokenClaims(
            iss: issuer ?? self.issuer, aud: audience ?? self.audience, id: userID ?? Int.random(in: 1_000_000...Int(Int32.max)),
            roles: roles, sid: UUID().uuidString, jti: UUIDv7.make(milliseconds: Int64(issuedAt.timeIntervalSince1970 * 1000)),
            iat: seconds, exp: seconds + lifetime
        )
    }

    /// Claims issued at a ``TestClock``'s `now()`.
    package func claims(now: Double, lifetime: Int = 900, roles: [String] = ["user"], userID: Int? = nil) -> AccessTokenClaims {
        self.claims(roles: roles, issuedAt: Date(timeIntervalSince1970: now), lifetime: lifetime, userID: userID)
    }

    /// Signs like the auth service: jwt-kit, header `kid` and `typ` (`at+jwt` unless a test bends it).
    package func sign(_ claims: AccessTokenClaims, type: String = AccessTokenType.value) async throws -> String {
        let keys = await JWTKeyCollection().add(ecdsa: self.privateKey, kid: JWKIdentifier(string: self.kid))
        var header = JWTHeader()
        header.typ = type
        return try await keys.sign(claims, kid: JWKIdentifier(string: self.kid), header: header)
    }

    /// A signed token for fresh claims.
    package func token(roles: [String] = ["user"], issuedAt: Date = Date(), lifetime: Int = 900) async throws -> String {
        try await self.sign(self.claims(roles: roles, issuedAt: issuedAt, lifetime: lifetime))
    }
}
