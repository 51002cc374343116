@testable import Gateway
import Common
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("CORS: allowed origins echoed, others ignored, preflight answered before any token check")
struct CORSTests {
    let mint: TokenMint

    init() throws {
        self.mint = try TokenMint()
    }

    @Test("an allowed origin is echoed with Vary: Origin")
    func allowedOriginEchoed() async throws {
        try await withGateway(mint: self.mint, redisURL: closedRedisURL) { client in
            let reply = try await client.send(.get, "/", headers: [.origin: allowedOrigin])
            #expect(reply.status == .ok)
            #expect(reply.headers[.accessControlAllowOrigin] == allowedOrigin)
            #expect(reply.headers[.vary] == "Origin")
            #expect(reply.headers[.accessControlAllowCredentials] == "true")
        }
    }

    @Test(
        "any other origin gets no Access-Control-Allow-Origin, but still Vary: Origin",
        arguments: ["http://evil.example", "http://localhost:8081.evil.example", "http://localhost:8081/", "https://localhost:8081", "null"]
    )
    func otherOriginIgnored(origin: String) async throws {
        try await withGateway(mint: self.mint, redisURL: closedRedisURL) { client in
            let reply = try await client.send(.get, "/", headers: [.origin: origin])
            #expect(reply.status == .ok)
            #expect(reply.headers[.accessControlAllowOrigin] == nil)
            #expect(reply.headers[.accessControlAllowCredentials] == nil)
            #expect(reply.headers[.vary] == "Origin")
        }
    }

    @Test("a preflight to a protected route is 204 with the methods and headers, no token needed")
    func preflight() async throws {
        try await withGateway(mint: self.mint, redisURL: closedRedisURL) { client in
            let reply = try await client.send(.options, "/api/test/admin", headers: [
                .origin: allowedOrigin,
                .accessControlRequestMethod: "GET",
                .accessControlRequestHeaders: "x-access-token, content-type",
            ])
            #expect(reply.status == .noContent)
            #expect(reply.headers[.accessControlAllowOrigin] == allowedOrigin)
            let methods = (reply.headers[.accessControlAllowMethods] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(Set(["GET", "POST"]).isSubset(of: methods))
            let headers = (reply.headers[.accessControlAllowHeaders] ?? "").lowercased().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(Set(["x-access-token", "authorization", "content-type"]).isSubset(of: headers))
            #expect(reply.text.isEmpty)
        }
    }

    @Test("a preflight from another origin is 204 without any allow headers")
    func preflightFromOtherOrigin() async throws {
        try await withGateway(mint: self.mint, redisURL: closedRedisURL) { client in
            let reply = try await client.send(.options, "/api/auth/signin", headers: [.origin: "http://evil.example", .accessControlRequestMethod: "POST"])
            #expect(reply.status == .noContent)
            #expect(reply.headers[.accessControlAllowOrigin] == nil)
            #expect(reply.headers[.accessControlAllowMethods] == nil)
            #expect(reply.headers[.accessControlAllowHeaders] == nil)
        }
    }

    @Test("error answers carry the CORS headers too, so the browser can read them")
    func errorsCarryCORS() async throws {
        try await withGateway(mint: self.mint, redisURL: closedRedisURL) { client in
            let reply = try await client.send(.get, "/api/test/user", headers: [.origin: allowedOrigin])
            #expect(reply.status == .forbidden)
            #expect(reply.headers[.accessControlAllowOrigin] == allowedOrigin)
        }
    }

    @Test("every configured origin is allowed, each echoed alone")
    func severalOrigins() async throws {
        let origins = ["http://localhost:8081", "https://app.example.com"]
        try await withGateway(mint: self.mint, redisURL: closedRedisURL, configure: { $0.corsAllowedOrigins = origins }) { client in
            for origin in origins {
                let reply = try await client.send(.get, "/", headers: [.origin: origin])
                #expect(reply.headers[.accessControlAllowOrigin] == origin)
            }
        }
    }
}
