import AsyncHTTPClient
import Common
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import TestSupport

/// What the stand-in auth service publishes, and how often it was asked.
private actor PublishedKeys {
    var body: String
    var status: HTTPResponse.Status = .ok
    private(set) var fetches = 0

    init(_ keys: [TokenMint]) throws {
        self.body = try Self.document(keys)
    }

    static func document(_ keys: [TokenMint]) throws -> String {
        String(decoding: try JSONEncoder.sortedKeys.encode(JWKSDocument(keys: keys.map(\.jwk))), as: UTF8.self)
    }

    func publish(_ keys: [TokenMint]) throws { self.body = try Self.document(keys) }
    func publish(raw body: String, status: HTTPResponse.Status = .ok) {
        self.body = body
        self.status = status
    }

    func serve() -> (HTTPResponse.Status, String) {
        self.fetches += 1
        return (self.status, self.body)
    }
}

@Suite("JWKSKeyProvider fetches the auth service's keys, follows rotation, and cannot be used as a load generator")
struct JWKSKeyProviderTests {
    private let logger: Logger = {
        var logger = Logger(label: "jwks-test")
        logger.logLevel = .critical
        return logger
    }()

    /// Serves `published` at /.well-known/jwks.json on a live port and passes the URL.
    private func withJWKSServer(_ published: PublishedKeys, _ body: @escaping @Sendable (String) async throws -> Void) async throws {
        let router = Router()
        router.get("/.well-known/jwks.json") { _, _ in
            let (status, text) = await published.serve()
            return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            try await body("http://127.0.0.1:\(port)/.well-known/jwks.json")
        }
    }

    @Test("after a refresh the published key verifies tokens")
    func loadsKeys() async throws {
        let key = try TokenMint()
        let published = try PublishedKeys([key])
        try await self.withJWKSServer(published) { url in
            let clock = TestClock()
            let provider = JWKSKeyProvider(url: url, httpClient: .shared, clock: clock, logger: self.logger)
            #expect(await provider.hasKeys == false)
            try await provider.refresh()
            #expect(await provider.hasKeys)

            let verifier = AccessTokenVerifier(keys: provider, issuer: testIssuer, audience: testAudience, clock: clock)
            let claims = key.claims(now: clock.now())
            #expect(try await verifier.verify(try await key.sign(claims)) == claims)
        }
    }

    @Test("before any key is loaded a valid token gets the fail-closed 503, never a 401 that would end the client's session")
    func noKeysYetIsUnavailableNotUnauthorized() async throws {
        let key = try TokenMint()
        let published = try PublishedKeys([key])
        await published.publish(raw: #"{"message":"starting"}"#, status: .serviceUnavailable)
        try await self.withJWKSServer(published) { url in
            let clock = TestClock()
            let provider = JWKSKeyProvider(url: url, httpClient: .shared, clock: clock, logger: self.logger)
            await #expect(throws: SigningKeyError.self) { try await provider.refresh() }

            let verifier = AccessTokenVerifier(keys: provider, issuer: testIssuer, audience: testAudience, clock: clock)
            let token = try await key.sign(key.claims(now: clock.now()))
            let error = await #expect(throws: TokenVerificationError(.noKeys)) { try await verifier.verify(token) }
            #expect(error?.apiError == .serviceUnavailable)
        }
    }

    @Test("a token from a newly rotated key is accepted: an unknown kid fetches the JWKS again")
    func followsRotation() async throws {
        let old = try TokenMint()
        let new = try TokenMint()
        let published = try PublishedKeys([old])
        try await self.withJWKSServer(published) { url in
            let clock = TestClock()
            let provider = JWKSKeyProvider(url: url, httpClient: .shared, cooldown: 10, clock: clock, logger: self.logger)
            try await provider.refresh()
            try await published.publish([new, old])
            clock.advance(by: 10)

            let verifier = AccessTokenVerifier(keys: provider, issuer: testIssuer, audience: testAudience, clock: clock)
            let claims = new.claims(now: clock.now())
            #expect(try await verifier.verify(try await new.sign(claims)) == claims)
            #expect(await published.fetches == 2)
        }
    }

    @Test("junk kids cause at most one fetch per cooldown")
    func unknownKidsAreRateLimited() async throws {
        let published = try PublishedKeys([try TokenMint()])
        try await self.withJWKSServer(published) { url in
            let clock = TestClock()
            let provider = JWKSKeyProvider(url: url, httpClient: .shared, cooldown: 10, clock: clock, logger: self.logger)
            try await provider.refresh()

            for index in 0..<50 {
                #expect(await provider.refreshedKeys().key(for: "junk-\(index)") == nil)
            }
            #expect(await published.fetches == 1)

            clock.advance(by: 10)
            for index in 0..<50 {
                #expect(await provider.refreshedKeys().key(for: "more-junk-\(index)") == nil)
            }
            #expect(await published.fetches == 2)
        }
    }

    /// Each way a JWKS answer can be unusable, with the error it must fail with: a refresh that
    /// failed for another reason (the stand-in unreachable, say) would not prove the case.
    static let unusableAnswers: [(status: HTTPResponse.Status, body: String, failure: String)] = [
        (.internalServerError, "{}", "SigningKeyError: JWKS answered 500"),
        (.ok, "not json", "DecodingError"),
        (.ok, #"{"keys":[]}"#, "SigningKeyError: JWKS has no usable key"),
        (.ok, #"{"keys":[{"kty":"RSA","kid":"r","crv":"","alg":"RS256","use":"sig","x":"","y":""}]}"#, "SigningKeyError: JWKS has no usable key"),
    ]

    @Test("a failing or garbled JWKS answer fails the refresh for that reason and keeps the keys already known", arguments: Self.unusableAnswers)
    func failedRefreshKeepsKeys(status: HTTPResponse.Status, body: String, failure: String) async throws {
        let key = try TokenMint()
        let published = try PublishedKeys([key])
        try await self.withJWKSServer(published) { url in
            let provider = JWKSKeyProvider(url: url, httpClient: .shared, clock: TestClock(), logger: self.logger)
            try await provider.refresh()
            await published.publish(raw: body, status: status)

            let error = await #expect(throws: (any Error).self) { try await provider.refresh() }
            #expect((error is DecodingError ? "DecodingError" : error.map { "\($0)" }) == failure)
            #expect(await provider.currentKeys().key(for: key.kid) != nil)
        }
    }
}
