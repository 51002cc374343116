@testable import Gateway
import Common
import Foundation
import NIOHTTP1
import Testing

/// Sessions in HttpOnly cookies (SESSION_COOKIES on or only), as far as the gateway is concerned: which
/// credential a request carries, what a service gets of the cookies, and the CSRF rule.
@Suite("Session cookies at the gateway: the credential, what a service gets, and the cross-site rule")
struct SessionCookieTests {
    static let cookies = SessionCookieSettings(mode: .only, secure: false)

    private func withCookieStack(_ body: (GatewayStack) async throws -> Void) async throws {
        try await withStack(configure: { $0.sessionCookies = Self.cookies }) { stack in try await body(stack) }
    }

    @Test("the access cookie is the credential when no token header comes; the service gets it as Bearer and no Cookie")
    func cookieCredential() async throws {
        try await self.withCookieStack { stack in
            let token = try await stack.mint.token()
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("GET", "/api/test/user", headers: [("Cookie", "theme=dark; access-token=\(token); refresh-token=r.1")]))
            #expect(try await client.readResponse().status == 200)
            let seen = try #require(stack.service.requests.last)
            #expect(seen.header("authorization") == ["Bearer \(token)"])
            #expect(seen.header("cookie") == [])
        }
    }

    @Test("a token header wins over the access cookie")
    func headerWins() async throws {
        try await self.withCookieStack { stack in
            let header = try await stack.mint.token()
            let cookie = try await stack.mint.token(roles: ["admin"])
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("GET", "/api/test/user", headers: [("x-access-token", header), ("Cookie", "access-token=\(cookie)")]))
            #expect(try await client.readResponse().status == 200)
            #expect(stack.service.requests.last?.header("authorization") == ["Bearer \(header)"])
        }
    }

    @Test("refresh and signout get the refresh cookie, written by the gateway; no other route gets a cookie")
    func refreshCookieForwarding() async throws {
        try await self.withCookieStack { stack in
            let token = try await stack.mint.token()
            let headers = [("Origin", "http://localhost:8081"), ("Content-Type", "application/json"), ("Cookie", "refresh-token=r.1; other=x")]
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("POST", "/api/auth/refreshtoken", headers: headers, body: "{}"))
            #expect(try await client.readResponse().status == 200)
            #expect(stack.service.requests.last?.header("cookie") == ["refresh-token=r.1"])
            try await client.send(rawRequest("POST", "/api/auth/signin", headers: headers, body: "{}"))
            #expect(try await client.readResponse().status == 200)
            #expect(stack.service.requests.last?.header("cookie") == [])
            try await client.send(rawRequest("GET", "/api/auth/me", headers: [("Cookie", "refresh-token=r.1; access-token=\(token)")]))
            #expect(try await client.readResponse().status == 200)
            #expect(stack.service.requests.last?.header("cookie") == [])
        }
    }

    @Test("cookie signout goes on without a valid access cookie, with the refresh cookie; with no credential at all it is still 403")
    func cookieSignout() async throws {
        try await self.withCookieStack { stack in
            let expired = try await stack.mint.token(issuedAt: Date(timeIntervalSinceNow: -7200), lifetime: 60)
            let headers = [("Origin", "http://localhost:8081"), ("Content-Type", "application/json")]
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("POST", "/api/auth/signout", headers: headers + [("Cookie", "access-token=\(expired); refresh-token=r.9")], body: "{}"))
            #expect(try await client.readResponse().status == 200)
            let seen = try #require(stack.service.requests.last)
            #expect(seen.header("authorization") == [])
            #expect(seen.header("cookie") == ["refresh-token=r.9"])
            try await client.send(rawRequest("POST", "/api/auth/signout", headers: headers, body: "{}"))
            let refused = try await client.readResponse()
            #expect(refused.status == 403)
            #expect(refused.message == "No token provided!")
        }
    }

    @Test("an unsafe request the cookies authenticate needs a trusted Origin and a JSON body type", arguments: [
        ([("Origin", "http://evil.example"), ("Content-Type", "application/json")], 403),
        ([("Content-Type", "application/json")], 403),
        ([("Origin", "null"), ("Content-Type", "application/json")], 403),
        ([("Origin", "http://localhost:8081.evil.example"), ("Content-Type", "application/json")], 403),
        ([("Origin", "http://localhost:8081"), ("Content-Type", "application/x-www-form-urlencoded")], 403),
        ([("Origin", "http://localhost:8081"), ("Content-Type", "text/plain")], 403),
        ([("Origin", "http://localhost:8081")], 403),
        ([("Origin", "http://localhost:8081"), ("Content-Type", "application/json; charset=utf-8")], 200),
        ([("Origin", "http://gateway.test"), ("Content-Type", "application/json")], 200),
    ])
    func crossSiteRule(headers: [(String, String)], status: Int) async throws {
        try await self.withCookieStack { stack in
            let token = try await stack.mint.token()
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("POST", "/api/auth/password", headers: headers + [("Cookie", "access-token=\(token)")], body: "{}"))
            let answer = try await client.readResponse()
            #expect(answer.status == status)
            if status == 403 {
                #expect(answer.message == "Cross-site request refused")
                #expect(stack.service.requests.isEmpty)
            }
        }
    }

    @Test("header-authenticated requests and cookie-free ones are not subject to the cross-site rule")
    func headerRequestsUnaffected() async throws {
        try await self.withCookieStack { stack in
            let token = try await stack.mint.token()
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("POST", "/api/auth/password", headers: [("x-access-token", token), ("Cookie", "access-token=\(token)")], body: "{}"))
            #expect(try await client.readResponse().status == 200)
            try await client.send(rawRequest("POST", "/api/auth/signin", headers: [("Content-Type", "text/plain")], body: "{}"))
            #expect(try await client.readResponse().status == 200)
        }
    }

    @Test("duplicated session cookies or one with anything but a token's characters get 400", arguments: [
        "access-token=a.b.c; access-token=d.e.f", "refresh-token=x; refresh-token=y", "access-token=a b", "access-token=\"a.b.c\"",
        "access-token=", "refresh-token=a,b",
    ])
    func malformedCookies(cookie: String) async throws {
        try await self.withCookieStack { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("GET", "/api/test/all", headers: [("Cookie", cookie)]))
            let answer = try await client.readResponse()
            #expect(answer.status == 400)
            #expect(stack.service.requests.isEmpty)
        }
    }

    @Test("with SESSION_COOKIES off a cookie is no credential, and no service ever gets a Cookie")
    func cookiesOff() async throws {
        try await withStack { stack in
            let token = try await stack.mint.token()
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("GET", "/api/test/user", headers: [("Cookie", "access-token=\(token)")]))
            #expect(try await client.readResponse().status == 403)
            try await client.send(rawRequest("GET", "/api/test/all", headers: [("Cookie", "refresh-token=r.1")]))
            #expect(try await client.readResponse().status == 200)
            #expect(stack.service.requests.last?.header("cookie") == [])
        }
    }
}
