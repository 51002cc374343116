@testable import Gateway
import Foundation
import NIOHTTP1
import Testing

@Suite("Routes the gateway answers itself: the welcome, 404, 405, health")
struct RoutingTests {
    @Test("GET / is the JSON welcome")
    func welcome() async throws {
        try await withStack { stack in
            let reply = try await stack.gateway.send(.GET, "/")
            #expect(reply.status == 200)
            #expect(reply.headers["content-type"].first?.hasPrefix("application/json") == true)
            #expect(reply.message == LocalResponses.welcomeText)
            #expect(stack.service.connectionCount == 0)
        }
    }

    @Test("a known path with the wrong method is 405 JSON with Allow", arguments: [
        (HTTPMethod.DELETE, "/api/auth/signin", "POST"), (.GET, "/api/auth/signup", "POST"), (.PUT, "/api/auth/refreshtoken", "POST"),
        (.POST, "/api/test/user", "GET, HEAD"), (.PATCH, "/.well-known/jwks.json", "GET, HEAD"), (.HEAD, "/api/auth/signout", "POST"),
    ])
    func wrongMethod(method: HTTPMethod, path: String, allow: String) async throws {
        try await withStack { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest(method.rawValue, path))
            let response = try await client.readResponse(bodiless: method == .HEAD)
            #expect(response.status == 405)
            #expect(response.header("allow") == allow)
            if method != .HEAD { #expect(response.message == "Method not allowed") }
            #expect(stack.service.connectionCount == 0)
        }
    }

    @Test("OPTIONS without a preflight header is 204 with Allow")
    func plainOptions() async throws {
        try await withStack { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("OPTIONS", "/api/test/all"))
            let response = try await client.readResponse()
            #expect(response.status == 204)
            #expect(response.header("allow") == "GET, HEAD, OPTIONS")
        }
    }

    @Test("an unknown path is 404 JSON and reaches no service", arguments: [
        "/nope", "/api/auth", "/api/auth/users", "/api/test/secret", "/health/../api/test/admin", "/api/test/user/", "/api/test/all/../admin",
    ])
    func unknownPath(path: String) async throws {
        try await withStack { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("GET", path))
            let response = try await client.readResponse()
            #expect(response.status == 404)
            #expect(response.message == "Not found")
            #expect(stack.service.connectionCount == 0)
        }
    }

    @Test("HEAD on an unknown path is 404 without a body, and the connection goes on")
    func headUnknown() async throws {
        try await withStack { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("HEAD", "/nope"))
            #expect(try await client.readResponse(bodiless: true).status == 404)
            try await client.send(rawRequest("GET", "/"))
            #expect(try await client.readResponse().message == LocalResponses.welcomeText)
        }
    }

    @Test("a request target that is not a path is 400 JSON", arguments: ["*", "api/test/all"])
    func malformedTarget(target: String) async throws {
        try await withStack { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("GET", target))
            let response = try await client.readResponse()
            #expect(response.status == 400)
            // The HTTP parser refuses some targets itself; the rest reach the gateway's own check.
            #expect(["Malformed request target", "Malformed HTTP request"].contains(response.message ?? ""))
            #expect(stack.service.connectionCount == 0)
        }
    }

    @Test("/health/live answers while the process runs; /health/ready names what it waits for")
    func health() async throws {
        try await withStack { stack in
            let live = try await stack.gateway.send(.GET, "/health/live")
            #expect(live.status == 200)
            #expect(live.json["status"] as? String == "ok")
            let ready = try await stack.gateway.send(.GET, "/health/ready")
            let checks = try #require(ready.json["checks"] as? [String: String])
            #expect(Set(checks.keys) == ["jwks", "revocations"])
            #expect(checks["jwks"] == "ok")
            // Ready exactly when every check is ok (the revocation copy may lag on a loaded machine).
            #expect(ready.status == (checks.values.allSatisfy { $0 == "ok" } ? 200 : 503))
        }
    }

    @Test("every answer carries an X-Request-Id, errors and local routes included")
    func requestIDEverywhere() async throws {
        try await withStack { stack in
            for path in ["/", "/nope", "/api/test/user", "/api/test/all"] {
                let reply = try await stack.gateway.send(.GET, path)
                #expect(reply.headers["x-request-id"].first?.utf8.count == 16, "\(path)")
            }
        }
    }
}
