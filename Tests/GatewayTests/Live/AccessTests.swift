@testable import Gateway
import Common
import Foundation
import NIOHTTP1
import Testing
import TestSupport

@Suite("Protected routes: a valid, unrevoked token before anything reaches a service")
struct AccessTests {
    @Test("a protected route without a token is 403 No token provided!", arguments: [
        (HTTPMethod.GET, "/api/test/user"), (.GET, "/api/test/mod"), (.GET, "/api/test/admin"), (.POST, "/api/auth/signout"),
    ])
    func withoutToken(method: HTTPMethod, path: String) async throws {
        try await withStack { stack in
            let reply = try await stack.gateway.send(method, path, body: method == .POST ? Array("{}".utf8) : nil)
            #expect(reply.status == 403)
            #expect(reply.message == "No token provided!")
            #expect(stack.service.connectionCount == 0)
        }
    }

    @Test("a garbage, foreign or expired token is 401 before any service is asked")
    func badTokens() async throws {
        try await withStack { stack in
            let foreign = try await TokenMint().token()
            for token in ["garbage", "a.b.c", foreign] {
                let reply = try await stack.gateway.send(.GET, "/api/test/user", headers: ["x-access-token": token])
                #expect(reply.status == 401)
                #expect(reply.message == "Unauthorized!")
            }
            let expired = try await stack.mint.token(issuedAt: Date().addingTimeInterval(-3_600), lifetime: 600)
            let reply = try await stack.gateway.send(.GET, "/api/test/user", headers: ["authorization": "Bearer \(expired)"])
            #expect(reply.status == 401)
            #expect(reply.message == "Unauthorized! Access Token was expired!")
            #expect(stack.service.connectionCount == 0)
        }
    }

    @Test("a public route answers 200 whatever token headers it carries")
    func publicRouteIgnoresTokens() async throws {
        try await withStack { stack in
            for headers: HTTPHeaders in [["x-access-token": "garbage"], ["authorization": "Bearer expired.token.here"], [:]] {
                let reply = try await stack.gateway.send(.GET, "/api/test/all", headers: headers)
                #expect(reply.status == 200)
            }
        }
    }

    @Test("two token headers on one request are 400: the gateway and the service must not read different ones")
    func duplicateTokens() async throws {
        try await withStack { stack in
            let token = try await stack.mint.token()
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("GET", "/api/test/user", headers: [("x-access-token", token), ("x-access-token", "other")]))
            let response = try await client.readResponse()
            #expect(response.status == 400)
            #expect(response.message == "Duplicate x-access-token header")
            #expect(stack.service.connectionCount == 0)
        }
    }

    @Test("signin attempts over the per-address limit get 429 JSON with Retry-After; other actions count apart")
    func rateLimited() async throws {
        try await TestRedis.withOwnDatabase { redis in
            try await withStack(redisDatabase: redis.database, configure: { $0.rateLimits = [.signin: 3, .signup: 3] }) { stack in
                for _ in 0..<3 {
                    #expect(try await stack.gateway.send(.POST, "/api/auth/signin", body: "{}").status == 200)
                }
                let limited = try await stack.gateway.send(.POST, "/api/auth/signin", body: "{}")
                #expect(limited.status == 429)
                let retryAfter = try #require(limited.headers["retry-after"].first.flatMap { Int($0) })
                #expect((1...60).contains(retryAfter))
                #expect(limited.message == "Too many requests, try again in \(retryAfter) seconds.")
                #expect(stack.service.requests.count == 3)
                #expect(try await stack.gateway.send(.POST, "/api/auth/signup", body: "{}").status == 200)
                #expect(try await redis.client.send("GET", "ratelimit:signin:ip:127.0.0.1").int == 4)
            }
        }
    }

    @Test("without Redis, public routes still reach their service (limits fail open) and protected ones fail closed with 503")
    func withoutRedis() async throws {
        let mint = try TokenMint()
        let service = try await StandInService.start()
        let setup = GatewaySetup(mint: mint, upstream: service, redisURL: "redis://127.0.0.1:1", waitForRevocations: false)
        try await withGateway(setup, configure: { $0.rateLimits = [.signin: 1] }) { gateway in
            for _ in 0..<3 {
                #expect(try await gateway.send(.POST, "/api/auth/signin", body: "{}").status == 200)
            }
            #expect(try await gateway.send(.GET, "/api/test/all").status == 200)
            let token = try await mint.token()
            let refused = try await gateway.send(.GET, "/api/test/user", headers: ["x-access-token": token])
            #expect(refused.status == 503)
            #expect(refused.message == "Service temporarily unavailable")
            #expect(try await gateway.send(.GET, "/health/ready").status == 503)
        }
        await service.stop()
    }
}
