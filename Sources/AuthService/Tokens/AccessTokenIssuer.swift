import Common
import Foundation
import JWTKit

/// Signs access tokens: the signing key's algorithm, header `kid` and `typ: at+jwt`, the claims of
/// ``AccessTokenClaims`` with a UUIDv7 `jti`. It signs only a ``SessionGrant``, which only
/// ``CredentialIssuer`` makes: no route can hand out a token outside the account state it checked.
struct AccessTokenIssuer: Sendable {
    private let keys: JWTKeyCollection
    private let kid: String
    private let algorithm: SigningAlgorithm
    private let settings: TokenSettings
    private let lifetime: Int
    private let clock: any WallClock

    init(signingKeys: SigningKeys, settings: TokenSettings, lifetime: Int, clock: any WallClock = SystemWallClock()) async {
        self.kid = signingKeys.signingKID
        self.algorithm = signingKeys.signingKey.algorithm
        self.keys = await signingKeys.signingKey.keyCollection()
        self.settings = settings
        self.lifetime = lifetime
        self.clock = clock
    }

    func issue(_ grant: SessionGrant) async throws -> String {
        let now = self.clock.now()
        let seconds = Int(now)
        let claims = AccessTokenClaims(
            iss: self.settings.issuer,
            aud: self.settings.audience,
            id: grant.userID,
            roles: grant.roles.map(\.rawValue),
            sid: grant.sessionID,
            jti: UUIDv7.make(milliseconds: Int64(now * 1000)),
            iat: seconds,
            exp: seconds + self.lifetime,
            epoch: grant.epoch,
            amr: grant.methods.claim
        )
        var header = JWTHeader()
        header.typ = AccessTokenType.value
        header.alg = self.algorithm.rawValue
        return try await self.keys.sign(claims, kid: JWKIdentifier(string: self.kid), header: header)
    }
}
