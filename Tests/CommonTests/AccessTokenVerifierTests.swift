import Common
import Foundation
import JWTKit
import Testing
import TestSupport

@Suite("AccessTokenVerifier accepts only our own, current access tokens")
struct AccessTokenVerifierTests {
    let key: TokenMint
    let clock: TestClock

    init() throws {
        self.key = try TokenMint()
        self.clock = TestClock()
    }

    @Test("a token signed as the auth service signs it passes with its claims intact")
    func validTokenPasses() async throws {
        let claims = self.key.claims(now: self.clock.now(), roles: ["user", "admin"])
        let token = try await self.key.sign(claims)
        let verifier = try await makeVerifier(keys: [self.key], clock: self.clock)

        let verified = try await verifier.verify(token)

        #expect(verified == claims)
        #expect(verified.hasRole("admin"))
    }

    @Test("alg none without a signature is refused as malformed")
    func unsignedAlgNoneWithoutSignature() async throws {
        var header = self.key.standardHeader
        header["alg"] = "none"
        let input = try TokenMint.signingInput(header: header, payload: try TokenMint.payload(self.key.claims(now: self.clock.now())))
        let verifier = try await makeVerifier(keys: [self.key], clock: self.clock)

        await #expect(throws: TokenVerificationError(.malformed)) { try await verifier.verify(input + ".") }
    }

    @Test("alg none carrying some signature bytes is refused at the header")
    func unsignedAlgNoneWithJunkSignature() async throws {
        var header = self.key.standardHeader
        header["alg"] = "none"
        let input = try TokenMint.signingInput(header: header, payload: try TokenMint.payload(self.key.claims(now: self.clock.now())))
        let verifier = try await makeVerifier(keys: [self.key], clock: self.clock)

        await #expect(throws: TokenVerificationError(.unacceptableHeader)) { try await verifier.verify(input + ".AAAA") }
    }

    @Test("a payload changed after signing (roles raised to admin) fails the signature check")
    func tamperedPayloadIsRefused() async throws {
        let token = try await self.key.sign(self.key.claims(now: self.clock.now()))
        let tampered = try tamperingPayload(of: token) { $0["roles"] = ["user", "admin"] }
        let verifier = try await makeVerifier(keys: [self.key], clock: self.clock)

        await #expect(throws: TokenVerificationError(.badSignature)) { try await verifier.verify(tampered) }
    }

    @Test("HS256 keyed with the public key's PEM (algorithm confusion) is refused at the header")
    func hmacWithPublicKeyAsSecretIsRefused() async throws {
        let secret = HMACKey(from: self.key.privateKey.publicKey.pemRepresentation)
        let keys = await JWTKeyCollection().add(hmac: secret, digestAlgorithm: .sha256, kid: JWKIdentifier(string: self.key.kid))
        var header = JWTHeader()
        header.typ = "at+jwt"
        let token = try await keys.sign(self.key.claims(now: self.clock.now(), roles: ["admin"]), kid: JWKIdentifier(string: self.key.kid), header: header)
        let headerPart = try #require(token.split(separator: ".").first)
        #expect(try decodedPart(headerPart)["alg"] as? String == "HS256")
        let verifier = try await makeVerifier(keys: [self.key], clock: self.clock)

        await #expect(throws: TokenVerificationError(.unacceptableHeader)) { try await verifier.verify(token) }
    }

    @Test("HS256 keyed with the public key's x||y bytes is refused at the header")
    func hmacWithRawPublicKeyBytesIsRefused() async throws {
        let xText = try #require(self.key.jwk.x)
        let yText = try #require(self.key.jwk.y)
        let x = try #require(Base64URL.decode(xText))
        let y = try #require(Base64URL.decode(yText))
        let keys = await JWTKeyCollection().add(hmac: HMACKey(from: Data([0x04]) + x + y), digestAlgorithm: .sha256, kid: JWKIdentifier(string: self.key.kid))
        var header = JWTHeader()
        header.typ = "at+jwt"
        let token = try await keys.sign(self.key.claims(now: self.clock.now()), kid: JWKIdentifier(string: self.key.kid), header: header)
        let verifier = try await makeVerifier(keys: [self.key], clock: self.clock)

        await #expect(throws: TokenVerificationError(.unacceptableHeader)) { try await verifier.verify(token) }
    }

    @Test("a token for another audience is refused")
    func wrongAudienceIsRefused() async throws {
        var claims = self.key.claims(now: self.clock.now())
        claims.aud = "some-other-api"
        let token = try await self.key.sign(claims)
        let verifier = try await makeVerifier(keys: [self.key], clock: self.clock)

        await #expect(throws: TokenVerificationError(.wrongClaims)) { try await verifier.verify(token) }
    }

    @Test("a token from another issuer is refused")
    func wrongIssuerIsRefused() async throws {
        var claims = self.key.claims(now: self.clock.now())
        claims.iss = "https://evil.example"
        let token = try await self.key.sign(claims)
        let verifier = try await makeVerifier(keys: [self.key], clock: self.clock)

        await #expect(throws: TokenVerificationError(.wrongClaims)) { try await verifier.verify(token) }
    }

    @Test("a token whose sub disagrees with id is refused")
    func subjectMismatchIsRefused() async throws {
        var claims = self.key.claims(now: self.clock.now())
        claims.sub = "1"
        let token = try await self.key.sign(claims)
        let verifier = try await makeVerifier(keys: [self.key], clock: self.clock)

        await #expect(throws: TokenVerificationError(.wrongClaims)) { try await verifier.verify(token) }
    }

    @Test("a token past exp plus the leeway is expired; within the leeway it still passes")
    func expiryHonoursLeeway() async throws {
        let claims = self.key.claims(now: self.clock.now(), lifetime: 60)
        let token = try await self.key.sign(claims)

        let withinLeeway = try await makeVerifier(keys: [self.key], clock: TestClock(Int64(claims.exp) + 29))
        #expect(try await withinLeeway.verify(token) == claims)

        let pastLeeway = try await makeVerifier(keys: [self.key], clock: TestClock(Int64(claims.exp) + 30))
        await #expect(throws: TokenVerificationError(.expired)) { try await pastLeeway.verify(token) }
    }

    @Test("a token whose nbf lies beyond the leeway in the future is not yet valid")
    func notYetValidIsRefused() async throws {
        var claims = self.key.claims(now: self.clock.now())
        claims.nbf = Int(self.clock.now()) + 120
        let token = try await self.key.sign(claims)
        let verifier = try await makeVerifier(keys: [self.key], clock: self.clock)

        await #expect(throws: TokenVerificationError(.notYetValid)) { try await verifier.verify(token) }
    }

    @Test("a token naming a kid outside the key set is refused as unknown key")
    func unknownKidIsRefused() async throws {
        let stranger = try TokenMint()
        let token = try await stranger.sign(stranger.claims(now: self.clock.now()))
        let verifier = try await makeVerifier(keys: [self.key], clock: self.clock)

        await #expect(throws: TokenVerificationError(.unknownKey)) { try await verifier.verify(token) }
    }

    @Test("a token signed by another key under our kid, even with its own jwk in the header, fails the signature")
    func foreignKeyUnderOurKidIsRefused() async throws {
        let attacker = try TokenMint()
        var header = self.key.standardHeader
        header["jwk"] = ["kty": "EC", "crv": "P-256", "x": attacker.jwk.x, "y": attacker.jwk.y]
        let token = try attacker.forge(header: header, payload: try TokenMint.payload(self.key.claims(now: self.clock.now(), roles: ["admin"])))
        let verifier = try await makeVerifier(keys: [self.key], clock: self.clock)

        await #expect(throws: TokenVerificationError(.badSignature)) { try await verifier.verify(token) }
    }

    @Test("a hand-built token with the standard header verifies, so the forged variants fail for their one change")
    func handBuiltStandardTokenPasses() async throws {
        let claims = self.key.claims(now: self.clock.now())
        let token = try self.key.forge(header: self.key.standardHeader, payload: try TokenMint.payload(claims))
        let verifier = try await makeVerifier(keys: [self.key], clock: self.clock)

        #expect(try await verifier.verify(token) == claims)
    }

    @Test("typ missing, JWT or anything but at+jwt is refused at the header", arguments: [nil, "JWT", "jwt", "at+jwt2", ""] as [String?])
    func wrongTypeIsRefused(typ: String?) async throws {
        var header = self.key.standardHeader
        header["typ"] = typ
        let token = try self.key.forge(header: header, payload: try TokenMint.payload(self.key.claims(now: self.clock.now())))
        let verifier = try await makeVerifier(keys: [self.key], clock: self.clock)

        await #expect(throws: TokenVerificationError(.unacceptableHeader)) { try await verifier.verify(token) }
    }

    @Test("a header with crit or without kid is refused at the header")
    func critOrMissingKidIsRefused() async throws {
        let payload = try TokenMint.payload(self.key.claims(now: self.clock.now()))
        var critical = self.key.standardHeader
        critical["crit"] = ["exp"]
        var kidless = self.key.standardHeader
        kidless["kid"] = nil
        let verifier = try await makeVerifier(keys: [self.key], clock: self.clock)

        for header in [critical, kidless] {
            let token = try self.key.forge(header: header, payload: payload)
            await #expect(throws: TokenVerificationError(.unacceptableHeader)) { try await verifier.verify(token) }
        }
    }

    @Test(
        "garbage strings are refused as malformed",
        arguments: ["", "abc", "a.b", "a.b.c", "a.b.", "...", "e30.e30.e30.e30", "%%%.e30.sig", "eyJhbGciOiJFUzI1NiJ9", "bm90IGpzb24.e30.c2ln"]
    )
    func garbageIsMalformed(token: String) async throws {
        let verifier = try await makeVerifier(keys: [self.key], clock: self.clock)

        await #expect(throws: TokenVerificationError(.malformed)) { try await verifier.verify(token) }
    }

    @Test("a token over the maximum length is refused before any parsing")
    func overLongTokenIsMalformed() async throws {
        let token = try await self.key.sign(self.key.claims(now: self.clock.now()))
        let padded = token + String(repeating: "A", count: AccessTokenRules.maximumTokenLength - token.utf8.count + 1)
        let verifier = try await makeVerifier(keys: [self.key], clock: self.clock)

        await #expect(throws: TokenVerificationError(.malformed)) { try await verifier.verify(padded) }
    }
}

@Suite("AccessTokenVerifier's cache never extends or widens what a token grants")
struct AccessTokenVerifierCacheTests {
    @Test("a cached token still expires when the clock passes exp")
    func cachedTokenExpires() async throws {
        let key = try TokenMint()
        let clock = TestClock()
        let verifier = try await makeVerifier(keys: [key], clock: clock)
        let claims = key.claims(now: clock.now(), lifetime: 60)
        let token = try await key.sign(claims)

        #expect(try await verifier.verify(token) == claims)
        #expect(try await verifier.verify(token) == claims)

        clock.advance(by: 60 + 30)
        await #expect(throws: TokenVerificationError(.expired)) { try await verifier.verify(token) }
    }

    @Test("a tampered variant of a cached token is not a cache hit")
    func tamperedVariantIsNotAHit() async throws {
        let key = try TokenMint()
        let clock = TestClock()
        let verifier = try await makeVerifier(keys: [key], clock: clock)
        let token = try await key.sign(key.claims(now: clock.now()))
        _ = try await verifier.verify(token)

        let tampered = try tamperingPayload(of: token) { $0["roles"] = ["admin"] }

        await #expect(throws: TokenVerificationError(.badSignature)) { try await verifier.verify(tampered) }
        // A changed signature byte is a different string too, hence a miss and a refusal.
        let parts = token.split(separator: ".").map(String.init)
        var signature = Array(parts[2].utf8)
        signature[4] = signature[4] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let resigned = parts[0] + "." + parts[1] + "." + String(decoding: signature, as: UTF8.self)
        await #expect(throws: TokenVerificationError(.badSignature)) { try await verifier.verify(resigned) }
    }
}
