@testable import ContentService
import Common
import Foundation
import Hummingbird
import HummingbirdTesting
import JWTKit

let testIssuer = "test-issuer"
let testAudience = "test-audience"

/// The auth service's side of the handshake: a signing key, its JWKS, and tokens signed as the
/// auth service signs them.
struct TokenMint {
    let privateKey = ES256PrivateKey()
    let jwk: PublicJWK

    init() throws {
        self.jwk = try PublicJWK(es256: self.privateKey.publicKey)
    }

    func token(roles: [String], issuedAt: Date = Date(), lifetime: Int = 900) async throws -> String {
        let now = Int(issuedAt.timeIntervalSince1970)
        let claims = AccessTokenClaims(
            iss: testIssuer, aud: testAudience, id: 7, roles: roles, sid: "session", jti: UUID().uuidString,
            iat: now, exp: now + lifetime
        )
        let keys = await JWTKeyCollection().add(ecdsa: self.privateKey, kid: JWKIdentifier(string: self.jwk.kid))
        var header = JWTHeader()
        header.typ = AccessTokenType.value
        return try await keys.sign(claims, kid: JWKIdentifier(string: self.jwk.kid), header: header)
    }

    /// The content service's application, built by the same `buildRouter` as in production, over
    /// this mint's public key.
    func application() async throws -> some ApplicationProtocol {
        let verifier = AccessTokenVerifier(
            keys: try await StaticVerificationKeys(JWKSDocument(keys: [self.jwk])),
            issuer: testIssuer,
            audience: testAudience
        )
        return Application(router: buildRouter(verifier: verifier))
    }
}

extension TestClientProtocol {
    /// GET with the given headers; returns status and body text.
    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> (status: HTTPResponse.Status, body: String) {
        try await self.execute(uri: uri, method: .get, headers: headers) { response in
            (response.status, String(buffer: response.body))
        }
    }
}

/// A header name that HTTPTypes has no constant for.
func headerName(_ name: String) -> HTTPFields.Element.Name {
    HTTPFields.Element.Name(name)!
}
