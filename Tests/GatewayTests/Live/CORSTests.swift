@testable import Gateway
import Foundation
import Testing

@Suite("CORS through the gateway: allowed origins echoed, others ignored, preflights answered before any token check")
struct CORSTests {
    @Test("an allowed origin is echoed with credentials and Vary: Origin")
    func allowedOriginEchoed() async throws {
        try await withStack { stack in
            let reply = try await stack.gateway.send(.GET, "/", headers: ["origin": allowedOrigin])
            #expect(reply.headers["access-control-allow-origin"] == [allowedOrigin])
            #expect(reply.headers["access-control-allow-credentials"] == ["true"])
            // `/` also varies by Accept: a browser gets the web app, an API client the JSON welcome.
            #expect(reply.headers["vary"] == ["Accept, Origin"])
        }
    }

    @Test("any other origin gets no Access-Control-Allow-Origin, but still Vary: Origin", arguments: [
        "http://evil.example", "http://localhost:8081.evil.example", "http://localhost:8081/", "https://localhost:8081", "null",
    ])
    func otherOriginIgnored(origin: String) async throws {
        try await withStack { stack in
            let reply = try await stack.gateway.send(.GET, "/api/test/all", headers: ["origin": origin])
            #expect(reply.status == 200)
            #expect(reply.headers["access-control-allow-origin"].isEmpty)
            #expect(reply.headers["access-control-allow-credentials"].isEmpty)
            #expect(reply.headers["vary"] == ["Origin"])
        }
    }

    @Test("a preflight to a protected route is 204 with the methods and headers, no token needed, and no service asked")
    func preflight() async throws {
        try await withStack { stack in
            let reply = try await stack.gateway.send(.OPTIONS, "/api/test/admin", headers: [
                "origin": allowedOrigin, "access-control-request-method": "GET", "access-control-request-headers": "x-access-token, content-type",
            ])
            #expect(reply.status == 204)
            #expect(reply.headers["access-control-allow-origin"] == [allowedOrigin])
            let headers = Set((reply.headers.first(name: "access-control-allow-headers") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            #expect(headers.isSuperset(of: ["x-access-token", "authorization", "content-type"]))
            #expect(reply.body.isEmpty)
            #expect(stack.service.connectionCount == 0)
        }
    }

    @Test("a preflight from another origin is 204 without any allow headers")
    func preflightFromOtherOrigin() async throws {
        try await withStack { stack in
            let reply = try await stack.gateway.send(.OPTIONS, "/api/auth/signin", headers: ["origin": "http://evil.example", "access-control-request-method": "POST"])
            #expect(reply.status == 204)
            for name in ["access-control-allow-origin", "access-control-allow-methods", "access-control-allow-headers"] {
                #expect(reply.headers[name].isEmpty)
            }
        }
    }

    @Test("error answers carry the CORS headers too, so the browser can read them")
    func errorsCarryCORS() async throws {
        try await withStack { stack in
            let reply = try await stack.gateway.send(.GET, "/api/test/user", headers: ["origin": allowedOrigin])
            #expect(reply.status == 403)
            #expect(reply.headers["access-control-allow-origin"] == [allowedOrigin])
        }
    }

    @Test("every configured origin is allowed, each echoed alone")
    func severalOrigins() async throws {
        let origins = ["http://localhost:8081", "https://app.example.com"]
        try await withStack(configure: { $0.corsAllowedOrigins = origins }) { stack in
            for origin in origins {
                let reply = try await stack.gateway.send(.GET, "/", headers: ["origin": origin])
                #expect(reply.headers["access-control-allow-origin"] == [origin])
            }
        }
    }
}
