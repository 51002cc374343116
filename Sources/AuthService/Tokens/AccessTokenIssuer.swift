import Common
import Foundation
import JWTKit

/// Signs access tokens: ES256, header `kid` and `typ: at+jwt`, the claims of ``AccessTokenClaims``.
struct AccessTokenIssuer: Sendable {
    private let keys: JWTKeyCollection
    private let kid: String
    private let settings: TokenSettings
    private let lifetime: Int
    private let clock: any WallClock

    init(signingKeys: SigningKeys, settings: TokenSettings, lifetime: Int, clock: any WallClock = SystemWallClock()) async {
        self.kid = signingKeys.signingKID
        self.keys = await JWTKeyCollection().add(ecdsa: signingKeys.privateKey, kid: JWKIdentifier(string: signingKeys.signingKID))
        self.settings = settings
        self.lifetime = lifetime
        self.clock = clock
    }

    func issue(userID: Int, roles: [Role], sessionID: String) async throws -> String {
        let now = Int(self.clock.now())
        let claims = AccessTokenClaims(
            iss: self.settings.issuer,
            aud: self.settings.audience,
            id: userID,
            roles: roles.map(\.rawValue),
            sid: sessionID,
            jti: UUID().uuidString.lowercased(),
            iat: now,
            exp: now + self.lifetime
        )
        var header = JWTHeader()
        header.typ = AccessTokenHeaderValues.type
        header.alg = AccessTokenHeaderValues.algorithm
        return try await self.keys.sign(claims, kid: JWKIdentifier(string: self.kid), header: header)
    }
}
