@testable import Gateway
import AsyncHTTPClient
import Common
import Foundation
import Hummingbird
import HummingbirdTesting
import JWTKit
import Testing

let testIssuer = "test-issuer"
let testAudience = "test-audience"
let allowedOrigin = "http://localhost:8081"
/// Nothing listens on port 1 of the loopback: connections are refused at once.
let closedURL = "http://127.0.0.1:1"
let closedRedisURL = "redis://127.0.0.1:1"

/// The auth service's side: a signing key and tokens signed as the auth service signs them.
struct TokenMint {
    let privateKey = ES256PrivateKey()
    let jwk: PublicJWK

    init() throws {
        self.jwk = try PublicJWK(es256: self.privateKey.publicKey)
    }

    func claims(roles: [String] = ["user"], issuedAt: Date = Date(), lifetime: Int = 900) -> AccessTokenClaims {
        let now = Int(issuedAt.timeIntervalSince1970)
        return AccessTokenClaims(
            iss: testIssuer, aud: testAudience, id: Int.random(in: 1_000_000_000...Int(Int32.max)), roles: roles,
            sid: UUID().uuidString, jti: UUID().uuidString, iat: now, exp: now + lifetime
        )
    }

    func sign(_ claims: AccessTokenClaims) async throws -> String {
        let keys = await JWTKeyCollection().add(ecdsa: self.privateKey, kid: JWKIdentifier(string: self.jwk.kid))
        var header = JWTHeader()
        header.typ = AccessTokenHeaderValues.type
        return try await keys.sign(claims, kid: JWKIdentifier(string: self.jwk.kid), header: header)
    }

    func token(roles: [String] = ["user"], issuedAt: Date = Date(), lifetime: Int = 900) async throws -> String {
        try await self.sign(self.claims(roles: roles, issuedAt: issuedAt, lifetime: lifetime))
    }

    func verifier() async throws -> AccessTokenVerifier {
        AccessTokenVerifier(keys: try await StaticVerificationKeys(JWKSDocument(keys: [self.jwk])), issuer: testIssuer, audience: testAudience)
    }
}

/// The Redis that `make test` starts; the test fails, never skips, without it.
func testRedisURL() throws -> String {
    try #require(ProcessInfo.processInfo.environment["TEST_REDIS_URL"], "TEST_REDIS_URL must point at the Redis that make test starts")
}

/// Runs `body` with a client of the test Redis, shut down afterwards.
func withTestRedis(_ body: (RedisClient) async throws -> Void) async throws {
    let redis = RedisClient(configuration: try RedisConfiguration(url: try testRedisURL(), connectTimeout: .seconds(5), commandTimeout: .seconds(5)))
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await redis.run() }
        defer { group.cancelAll() }
        try await body(redis)
    }
}

/// Runs `body` against the gateway's own router, with both upstreams at `upstreamURL`, its store at
/// `redisURL` and a verifier over `mint`'s key. The HTTP and Redis clients are shut down afterwards.
func withGateway(
    mint: TokenMint,
    upstreamURL: String = closedURL,
    redisURL: String,
    configure: (inout GatewayConfiguration) -> Void = { _ in },
    _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void
) async throws {
    var configuration = GatewayConfiguration(
        authServiceURL: upstreamURL,
        contentServiceURL: upstreamURL,
        tokens: TokenSettings(issuer: testIssuer, audience: testAudience),
        corsAllowedOrigins: [allowedOrigin],
        redisURL: redisURL,
        rateLimits: [:]
    )
    configure(&configuration)
    let httpClient = HTTPClient(configuration: makeUpstreamClientConfiguration(configuration))
    // Generous timeouts: on a loaded 2-core machine the defaults (500 ms, 1 s) are not always enough.
    let redis = RedisClient(configuration: try RedisConfiguration(url: configuration.redisURL, connectTimeout: .seconds(5), commandTimeout: .seconds(5)))
    let router = buildRouter(configuration: configuration, httpClient: httpClient, verifier: try await mint.verifier(), redis: redis)
    let outcome: Result<Void, any Error>
    do {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await redis.run() }
            defer { group.cancelAll() }
            try await Application(router: router).test(.router, body)
        }
        outcome = .success(())
    } catch {
        outcome = .failure(error)
    }
    try await httpClient.shutdown()
    try outcome.get()
}

/// A response's status, headers and body text.
struct Reply {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var text: String

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(self.text.utf8))) as? [String: Any] ?? [:]
    }

    init(_ response: TestResponse) {
        self.status = response.status
        self.headers = response.headers
        self.text = String(buffer: response.body)
    }
}

extension TestClientProtocol {
    func send(_ method: HTTPRequest.Method, _ uri: String, headers: HTTPFields = [:], body: String? = nil) async throws -> Reply {
        try await self.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { Reply($0) }
    }
}

/// A header name that HTTPTypes has no constant for.
func headerName(_ name: String) -> HTTPFields.Element.Name {
    HTTPFields.Element.Name(name)!
}

/// What the echo upstream saw of a request.
struct EchoedRequest: Codable {
    var method: String
    var uri: String
    var headers: [String: [String]]
    var body: String

    func header(_ name: String) -> [String]? { self.headers[name.lowercased()] }
}

/// A stand-in service that answers every request with what it received, so tests can see exactly
/// what the gateway forwarded. `/api/test/admin` instead answers 418 with a marker header.
func echoUpstream() -> some ApplicationProtocol {
    let router = Router()
    let echo: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
        let body = try await request.body.collect(upTo: 1 << 20)
        var headers: [String: [String]] = [:]
        for field in request.headers {
            headers[field.name.canonicalName, default: []].append(field.value)
        }
        let echoed = EchoedRequest(method: request.method.rawValue, uri: request.uri.description, headers: headers, body: String(buffer: body))
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: try JSONEncoder().encode(echoed))))
    }
    for path in ["/api/test/user", "/api/test/all", "/.well-known/jwks.json"] {
        router.get(RouterPath(path), use: echo)
    }
    for path in ["/api/auth/signup", "/api/auth/signin", "/api/auth/refreshtoken", "/api/auth/signout"] {
        router.post(RouterPath(path), use: echo)
    }
    router.get("/api/test/admin") { _, _ in
        Response(status: .init(code: 418, reasonPhrase: "I'm a teapot"), headers: [headerName("x-upstream-marker"): "kept"], body: .init(byteBuffer: ByteBuffer(string: "short and stout")))
    }
    return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
}

/// Runs `body` with the echo upstream listening; passes its base URL.
func withEchoUpstream(_ body: @escaping @Sendable (String) async throws -> Void) async throws {
    try await echoUpstream().test(.live) { upstream in
        let port = try #require(upstream.port)
        try await body("http://127.0.0.1:\(port)")
    }
}

extension Reply {
    /// The echo upstream's account of the forwarded request.
    func echoed() throws -> EchoedRequest {
        try JSONDecoder().decode(EchoedRequest.self, from: Data(self.text.utf8))
    }
}
