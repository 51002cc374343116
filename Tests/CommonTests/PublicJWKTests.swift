import Common
import Crypto
import Foundation
import JWTKit
import Testing
import TestSupport

@Suite("PublicJWK publishes the key as RFC 7517 and names it by its RFC 7638 thumbprint")
struct PublicJWKTests {
    /// RFC 7638 §3: the required members only, lexicographic order, no whitespace, SHA-256, base64url.
    private func independentThumbprint(x: String, y: String) throws -> String {
        let canonical = try JSONEncoder.sortedCompact.encode(["kty": "EC", "crv": "P-256", "x": x, "y": y])
        #expect(String(decoding: canonical, as: UTF8.self) == #"{"crv":"P-256","kty":"EC","x":"\#(x)","y":"\#(y)"}"#)
        let digest = Data(SHA256.hash(data: canonical))
        return digest.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    @Test("kid is the RFC 7638 thumbprint computed independently from x and y")
    func kidIsThumbprint() throws {
        for _ in 0..<5 {
            let key = ES256PrivateKey()
            let jwk = try PublicJWK(es256: key.publicKey)

            let x = try #require(jwk.x)
            let y = try #require(jwk.y)
            #expect(jwk.kid == (try self.independentThumbprint(x: x, y: y)))
            #expect(jwk.kid.count == 43)
        }
    }

    @Test("the published members describe an ES256 signing key with 32-byte coordinates")
    func membersDescribeTheKey() throws {
        let key = ES256PrivateKey()
        let jwk = try PublicJWK(es256: key.publicKey)
        let parameters = try #require(key.publicKey.parameters)

        #expect(jwk.kty == "EC")
        #expect(jwk.crv == "P-256")
        #expect(jwk.alg == "ES256")
        #expect(jwk.use == "sig")
        #expect(jwk.x == parameters.x)
        #expect(jwk.y == parameters.y)
        #expect(Base64URL.decode(jwk.x ?? "")?.count == 32)
        #expect(Base64URL.decode(jwk.y ?? "")?.count == 32)
    }

    @Test("a JWKS encoded, decoded and loaded again verifies tokens of its key and nothing private leaks")
    func jwksRoundTrip() async throws {
        let signer = try TokenMint()
        let other = try TokenMint()
        let document = JWKSDocument(keys: [signer.jwk, other.jwk])
        let encoded = try JSONEncoder.sortedKeys.encode(document)

        let decoded = try JSONDecoder().decode(JWKSDocument.self, from: encoded)
        #expect(decoded == document)
        let object = try #require(try JSONSerialization.jsonObject(with: encoded) as? [String: [[String: String]]])
        #expect(object["keys"]?.allSatisfy { $0["d"] == nil } == true)

        let token = try await signer.sign(signer.claims(now: Date().timeIntervalSince1970))
        let key = try #require(try await decoded.keys[0].verificationKey())
        let rules = AccessTokenRules(issuer: testIssuer, audience: testAudience, leeway: 30)
        let claims = try rules.verify(token, keys: VerificationKeySet([key]), now: Date().timeIntervalSince1970)
        #expect(claims.iss == testIssuer)
    }

    @Test("jwt-kit's own JWKS parser reads the document and verifies with it")
    func jwtKitReadsTheDocument() async throws {
        let signer = try TokenMint()
        let json = String(decoding: try JSONEncoder.sortedKeys.encode(JWKSDocument(keys: [signer.jwk])), as: UTF8.self)
        let keys = try await JWTKeyCollection().add(jwksJSON: json)

        let token = try await signer.sign(signer.claims(now: Date().timeIntervalSince1970, userID: 42))
        let claims = try await keys.verify(token, as: AccessTokenClaims.self)
        #expect(claims.id == 42)
    }
}

extension JSONEncoder {
    static let sortedCompact: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()
}
