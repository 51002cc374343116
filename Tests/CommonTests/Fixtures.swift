import Common
import TestSupport

/// A verifier over static keys, as the auth service builds its own.
func makeVerifier(keys: [TokenMint], clock: any WallClock) async throws -> AccessTokenVerifier {
    AccessTokenVerifier(
        keys: try await StaticVerificationKeys(JWKSDocument(keys: keys.map(\.jwk))),
        issuer: testIssuer,
        audience: testAudience,
        leeway: 30,
        clock: clock
    )
}
