import _CryptoExtras
import Common
import Foundation
import JWTKit

/// Full access-token verification (signature and claims, no cache) per key kind, on one core:
/// `TokenVerificationBench [seconds per kind]` prints `kind <tab> verifications/s <tab> µs each`.
/// The gateway verifies a token once and serves its later requests from a per-loop cache, so this is
/// the cost of a token's first request at the gateway, and of each request in the content service.
@main
struct TokenVerificationBench {
    static func main() async throws {
        let seconds = Double(CommandLine.arguments.dropFirst().first ?? "") ?? 2
        let rules = AccessTokenRules(issuer: "bench", audience: "bench-api", leeway: 30)
        for (kind, jwk, signer) in try await Self.signers() {
            guard let key = try await jwk.verificationKey() else { fatalError("\(kind) key not accepted") }
            let keys = VerificationKeySet([key])
            let token = try await Self.token(signedBy: signer, kid: jwk.kid, algorithm: jwk.alg)
            var count = 0
            let start = ContinuousClock.now
            while ContinuousClock.now - start < .seconds(seconds) {
                for _ in 0..<50 {
                    _ = try rules.verify(token, keys: keys, now: Date().timeIntervalSince1970)
                }
                count += 50
            }
            let elapsed = ContinuousClock.now - start
            let perSecond = Double(count) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            print("\(kind)\t\(Int(perSecond))\t\(String(format: "%.1f", 1e6 / perSecond))")
        }
    }

    /// One fresh key of each accepted kind, its JWKS entry, and a collection that signs with it.
    static func signers() async throws -> [(String, PublicJWK, JWTKeyCollection)] {
        let eddsa = try EdDSA.PrivateKey()
        let es256 = ES256PrivateKey()
        let rs256 = try Insecure.RSA.PrivateKey(backing: _RSA.Signing.PrivateKey(keySize: .bits2048))
        let eddsaJWK = PublicJWK(eddsa: eddsa.publicKey)
        let es256JWK = try PublicJWK(es256: es256.publicKey)
        let rs256JWK = try PublicJWK(rsa: rs256.publicKey)
        return [
            ("EdDSA", eddsaJWK, await JWTKeyCollection().add(eddsa: eddsa, kid: JWKIdentifier(string: eddsaJWK.kid))),
            ("ES256", es256JWK, await JWTKeyCollection().add(ecdsa: es256, kid: JWKIdentifier(string: es256JWK.kid))),
            ("RS256", rs256JWK, await JWTKeyCollection().add(rsa: rs256, digestAlgorithm: .sha256, kid: JWKIdentifier(string: rs256JWK.kid))),
        ]
    }

    static func token(signedBy keys: JWTKeyCollection, kid: String, algorithm: String) async throws -> String {
        let now = Int(Date().timeIntervalSince1970)
        let claims = AccessTokenClaims(
            iss: "bench", aud: "bench-api", id: 1, roles: ["user"], sid: "session",
            jti: UUIDv7.make(milliseconds: Int64(now) * 1000), iat: now, exp: now + 900
        )
        var header = JWTHeader()
        header.typ = AccessTokenType.value
        header.alg = algorithm
        return try await keys.sign(claims, kid: JWKIdentifier(string: kid), header: header)
    }
}
