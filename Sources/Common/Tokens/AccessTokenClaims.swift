import JWTKit

/// The claims of an access token (`typ: at+jwt`).
///
/// Times are whole seconds since the epoch, as most JWT clients expect. `id` repeats `sub` as the
/// integer the tutorial's clients read.
package struct AccessTokenClaims: JWTPayload, Equatable {
    package var iss: String
    package var aud: String
    package var sub: String
    package var id: Int
    package var roles: [String]
    package var sid: String
    package var jti: String
    package var iat: Int
    package var nbf: Int?
    package var exp: Int

    package init(
        iss: String, aud: String, id: Int, roles: [String], sid: String, jti: String,
        iat: Int, exp: Int
    ) {
        self.iss = iss
        self.aud = aud
        self.sub = String(id)
        self.id = id
        self.roles = roles
        self.sid = sid
        self.jti = jti
        self.iat = iat
        self.nbf = iat
        self.exp = exp
    }

    /// Claims are checked by ``AccessTokenVerifier`` against its own clock, so that the same checks
    /// run on a cached verification; jwt-kit only checks the signature here.
    package func verify(using algorithm: some JWTAlgorithm) async throws {}

    package func hasRole(_ role: String) -> Bool {
        self.roles.contains(role)
    }
}

/// The fixed JOSE header values of our access tokens.
package enum AccessTokenHeaderValues {
    package static let algorithm = "ES256"
    package static let type = "at+jwt"
}
