@testable import Gateway
import Common
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Forwarding to a live service: what reaches it and what comes back")
struct ProxyTests {
    let mint: TokenMint

    init() throws {
        self.mint = try TokenMint()
    }

    @Test("a request past the gate reaches the service with its path, query, token and request id, and none of the client's identity or forwarding headers")
    func forwardsCleanRequest() async throws {
        let token = try await self.mint.token()
        let redisURL = try testRedisURL()
        try await withEchoUpstream { upstreamURL in
            try await withGateway(mint: self.mint, upstreamURL: upstreamURL, redisURL: redisURL) { client in
                let reply = try await client.send(.get, "/api/test/user?page=2&q=a%20b", headers: [
                    .accessToken: token,
                    .requestID: "req-1234",
                    headerName("x-user-roles"): "admin",
                    headerName("x-user-id"): "1",
                    headerName("x-forwarded-user"): "root",
                    headerName("x-forwarded-for"): "6.6.6.6",
                    headerName("x-forwarded-host"): "evil.example",
                    headerName("proxy-authorization"): "Basic c2VjcmV0",
                    headerName("te"): "trailers",
                    headerName("keep-alive"): "timeout=5",
                ])
                #expect(reply.status == .ok)
                #expect(reply.headers[.requestID] == "req-1234")
                let seen = try reply.echoed()
                #expect(seen.method == "GET")
                #expect(seen.uri == "/api/test/user?page=2&q=a%20b")
                #expect(seen.header("x-access-token") == [token])
                #expect(seen.header("x-request-id") == ["req-1234"])
                for dropped in ["x-user-roles", "x-user-id", "x-forwarded-user", "proxy-authorization", "te", "keep-alive"] {
                    #expect(seen.header(dropped) == nil, "\(dropped) reached the service")
                }
                #expect(seen.header("x-forwarded-for")?.contains { $0.contains("6.6.6.6") } != true)
                #expect(seen.header("x-forwarded-host") != ["evil.example"])
                #expect(seen.header("x-forwarded-proto") == ["http"])
            }
        }
    }

    @Test("a POST body reaches the service byte for byte")
    func forwardsBody() async throws {
        let redisURL = try testRedisURL()
        let body = #"{"username":"zoë","email":"zoe@example.com","password":"p@ss wörd 🔑","roles":["user"]}"#
        try await withEchoUpstream { upstreamURL in
            try await withGateway(mint: self.mint, upstreamURL: upstreamURL, redisURL: redisURL) { client in
                let reply = try await client.send(.post, "/api/auth/signup", headers: [.contentType: "application/json; charset=utf-8"], body: body)
                #expect(reply.status == .ok)
                let seen = try reply.echoed()
                #expect(seen.method == "POST")
                #expect(seen.body == body)
                #expect(seen.header("content-type") == ["application/json; charset=utf-8"])
                #expect(seen.header("content-length") == [String(body.utf8.count)])
            }
        }
    }

    @Test("the service's status, body and own headers come back unchanged")
    func returnsUpstreamAnswer() async throws {
        let token = try await self.mint.token(roles: ["admin"])
        let redisURL = try testRedisURL()
        try await withEchoUpstream { upstreamURL in
            try await withGateway(mint: self.mint, upstreamURL: upstreamURL, redisURL: redisURL) { client in
                let reply = try await client.send(.get, "/api/test/admin", headers: [.accessToken: token, .origin: allowedOrigin])
                #expect(reply.status.code == 418)
                #expect(reply.text == "short and stout")
                #expect(reply.headers[headerName("x-upstream-marker")] == "kept")
                #expect(reply.headers[.accessControlAllowOrigin] == allowedOrigin)
            }
        }
    }

    @Test("signin attempts over the per-address limit get 429 JSON with Retry-After")
    func rateLimited() async throws {
        let redisURL = try testRedisURL()
        // Router tests have no peer address, so the client is "unknown": start from a clean count.
        try await withTestRedis { redis in
            try await redis.send("DEL", "ratelimit:signin:ip:unknown")
        }
        try await withEchoUpstream { upstreamURL in
            try await withGateway(mint: self.mint, upstreamURL: upstreamURL, redisURL: redisURL, configure: { $0.rateLimits = [.signin: 3] }) { client throws in
                for _ in 0..<3 {
                    #expect(try await client.send(.post, "/api/auth/signin", body: "{}").status == .ok)
                }
                let limited = try await client.send(.post, "/api/auth/signin", body: "{}")
                #expect(limited.status == .tooManyRequests)
                let retryAfter = try #require(limited.headers[.retryAfter].flatMap(Int.init))
                #expect((1...60).contains(retryAfter))
                #expect((limited.json["message"] as? String)?.isEmpty == false)
                // Other actions have their own counters.
                #expect(try await client.send(.post, "/api/auth/signup", body: "{}").status == .ok)
            }
        }
    }

    @Test("with Redis down, public routes still reach their service (limits fail open) while protected ones fail closed")
    func redisDown() async throws {
        let token = try await self.mint.token()
        try await withEchoUpstream { upstreamURL throws in
            try await withGateway(mint: self.mint, upstreamURL: upstreamURL, redisURL: closedRedisURL, configure: { $0.rateLimits = [.signin: 1] }) { client throws in
                for _ in 0..<3 {
                    #expect(try await client.send(.post, "/api/auth/signin", body: "{}").status == .ok)
                }
                #expect(try await client.send(.get, "/api/test/all").status == .ok)
                #expect(try await client.send(.get, "/api/test/user", headers: [.accessToken: token]).status == .serviceUnavailable)
            }
        }
    }
}
