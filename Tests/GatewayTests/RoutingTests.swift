@testable import Gateway
import Common
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("The gateway's route table, token gate and upstream failures")
struct RoutingTests {
    let mint: TokenMint

    init() throws {
        self.mint = try TokenMint()
    }

    @Test("GET / is a JSON welcome")
    func welcome() async throws {
        try await withGateway(mint: self.mint, redisURL: closedRedisURL) { client in
            let reply = try await client.send(.get, "/")
            #expect(reply.status == .ok)
            #expect((reply.json["message"] as? String)?.isEmpty == false)
        }
    }

    @Test(
        "a known path with the wrong method is 405 JSON with Allow",
        arguments: [
            (HTTPRequest.Method.delete, "/api/auth/signin", "POST"),
            (.get, "/api/auth/signup", "POST"),
            (.put, "/api/auth/refreshtoken", "POST"),
            (.post, "/api/test/user", "GET, HEAD"),
            (.patch, "/.well-known/jwks.json", "GET, HEAD"),
        ]
    )
    func wrongMethod(method: HTTPRequest.Method, path: String, allow: String) async throws {
        try await withGateway(mint: self.mint, redisURL: closedRedisURL) { client in
            let reply = try await client.send(method, path)
            #expect(reply.status == .methodNotAllowed)
            #expect(reply.headers[.allow] == allow)
            #expect(reply.text == #"{"message":"Method not allowed"}"#)
        }
    }

    @Test("an unknown path is 404 JSON and reaches no service", arguments: ["/nope", "/api/auth", "/api/auth/users", "/api/test/secret", "/health/../api/test/admin"])
    func unknownPath(path: String) async throws {
        try await withGateway(mint: self.mint, redisURL: closedRedisURL) { client in
            let reply = try await client.send(.get, path)
            #expect(reply.status == .notFound)
            #expect(reply.text == #"{"message":"Not found"}"#)
        }
    }

    @Test(
        "a protected route without a token is 403 No token provided!",
        arguments: [(HTTPRequest.Method.get, "/api/test/user"), (.get, "/api/test/mod"), (.get, "/api/test/admin"), (.post, "/api/auth/signout")]
    )
    func protectedWithoutToken(method: HTTPRequest.Method, path: String) async throws {
        try await withGateway(mint: self.mint, redisURL: closedRedisURL) { client in
            let reply = try await client.send(method, path)
            #expect(reply.status == .forbidden)
            #expect(reply.text == #"{"message":"No token provided!"}"#)
        }
    }

    @Test("a garbage, foreign or expired token is 401 before any upstream is asked")
    func badTokens() async throws {
        let foreign = try await TokenMint().token()
        let expired = try await self.mint.token(issuedAt: Date().addingTimeInterval(-3_600), lifetime: 600)
        try await withGateway(mint: self.mint, redisURL: closedRedisURL) { client in
            for token in ["garbage", "a.b.c", foreign] {
                let reply = try await client.send(.get, "/api/test/user", headers: [.accessToken: token])
                #expect(reply.status == .unauthorized)
                #expect(reply.text == #"{"message":"Unauthorized!"}"#)
            }
            let reply = try await client.send(.get, "/api/test/user", headers: [.authorization: "Bearer \(expired)"])
            #expect(reply.status == .unauthorized)
            #expect(reply.text == #"{"message":"Unauthorized! Access Token was expired!"}"#)
        }
    }

    /// AHC retries a refused connection until the 2 s connect timeout; the bound proves the gateway
    /// does not wait for the 15 s upstream read timeout.
    @Test("a valid token whose upstream is down gets 503 JSON within the connect timeout")
    func upstreamDown() async throws {
        let token = try await self.mint.token()
        try await withGateway(mint: self.mint, redisURL: try testRedisURL()) { client in
            let started = ContinuousClock.now
            let reply = try await client.send(.get, "/api/test/user", headers: [.accessToken: token])
            #expect(reply.status == .serviceUnavailable)
            #expect(reply.text == #"{"message":"Service temporarily unavailable"}"#)
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }

    @Test("a public route whose upstream is down gets 503 JSON within the connect timeout, without a token", arguments: [(HTTPRequest.Method.get, "/api/test/all"), (.post, "/api/auth/signin"), (.get, "/.well-known/jwks.json")])
    func publicUpstreamDown(method: HTTPRequest.Method, path: String) async throws {
        try await withGateway(mint: self.mint, redisURL: try testRedisURL()) { client in
            let started = ContinuousClock.now
            let reply = try await client.send(method, path, headers: [.contentType: "application/json"], body: method == .post ? "{}" : nil)
            #expect(reply.status == .serviceUnavailable)
            #expect(reply.text == #"{"message":"Service temporarily unavailable"}"#)
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }

    @Test("a revoked token is 401 Unauthorized!")
    func revokedToken() async throws {
        let claims = self.mint.claims()
        let token = try await self.mint.sign(claims)
        let redisURL = try testRedisURL()
        try await withGateway(mint: self.mint, redisURL: redisURL) { client in
            try await withTestRedis { redis in
                try await redis.send("SET", RevocationKeys.token(claims.jti), "signout", "EX", "60")
            }
            let reply = try await client.send(.get, "/api/test/user", headers: [.accessToken: token])
            #expect(reply.status == .unauthorized)
            #expect(reply.text == #"{"message":"Unauthorized!"}"#)
        }
    }

    @Test("when Redis cannot say whether a token is revoked, protected routes fail closed with 503")
    func failsClosedWithoutRedis() async throws {
        let token = try await self.mint.token()
        try await withGateway(mint: self.mint, redisURL: closedRedisURL) { client in
            let reply = try await client.send(.get, "/api/test/user", headers: [.accessToken: token])
            #expect(reply.status == .serviceUnavailable)
            #expect(reply.text == #"{"message":"Service temporarily unavailable"}"#)
        }
    }

    @Test("a declared body over the limit is 413 JSON before the upstream is asked")
    func bodyTooLarge() async throws {
        try await withGateway(mint: self.mint, redisURL: closedRedisURL, configure: { $0.maxRequestBodyBytes = 1_024 }) { client in
            let reply = try await client.send(.post, "/api/auth/signin", headers: [.contentType: "application/json"], body: String(repeating: " ", count: 2_048))
            #expect(reply.status == .contentTooLarge)
            #expect(reply.text == #"{"message":"Request body is too large"}"#)
        }
    }
}
