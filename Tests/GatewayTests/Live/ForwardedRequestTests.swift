@testable import Gateway
import Foundation
import NIOHTTP1
import Testing

/// What a service can rely on in every request it gets: the gateway wrote it, from what it checked.
@Suite("The forwarded request is the gateway's: its framing, the checked token, the routed path")
struct ForwardedRequestTests {
    @Test("Connection naming framing headers changes nothing: the service gets one request framed by the gateway", arguments: [
        "content-length", "Content-Length, Transfer-Encoding", "keep-alive, content-length",
    ])
    func connectionCannotUnframe(listed: String) async throws {
        try await withStack { stack in
            let inner = rawRequest("GET", "/api/test/admin", headers: [("x-access-token", "smuggled")])
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("GET", "/api/test/all", headers: [("Connection", listed)], body: inner))
            #expect(try await client.readResponse().status == 200)
            try await client.send(rawRequest("GET", "/api/test/all"))
            #expect(try await client.readResponse().status == 200)
            let seen = stack.service.requests
            #expect(seen.map(\.uri) == ["/api/test/all", "/api/test/all"])
            #expect(seen.first?.header("content-length") == [String(inner.utf8.count)])
            #expect(seen.first?.body == Array(inner.utf8))
        }
    }

    @Test("a chunked body reaches the service with the gateway's Content-Length, never Transfer-Encoding")
    func chunkedBecomesSized() async throws {
        try await withStack { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("POST", "/api/auth/signin", headers: [("Transfer-Encoding", "chunked"), ("Connection", "content-length")]))
            try await client.send("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
            #expect(try await client.readResponse().status == 200)
            let seen = try #require(stack.service.requests.last)
            #expect(seen.header("transfer-encoding").isEmpty)
            #expect(seen.header("content-length") == ["5"])
            #expect(seen.body == Array("abcde".utf8))
        }
    }

    @Test("a POST without a body is sent with Content-Length: 0; a GET without one with no length at all")
    func emptyBodies() async throws {
        try await withStack { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("POST", "/api/auth/refreshtoken"))
            #expect(try await client.readResponse().status == 200)
            #expect(stack.service.requests.last?.header("content-length") == ["0"])
            try await client.send(rawRequest("GET", "/api/test/all"))
            #expect(try await client.readResponse().status == 200)
            #expect(stack.service.requests.last?.header("content-length") == [])
        }
    }

    @Test("the service gets exactly the checked token as Authorization: Bearer, whichever header carried it and whatever Connection names", arguments: [
        ("x-access-token", "x-access-token"), ("x-access-token", "authorization"), ("authorization", "x-access-token, authorization"),
        ("authorization", "authorization"),
    ])
    func oneCheckedCredential(carrier: String, listed: String) async throws {
        try await withStack { stack in
            let token = try await stack.mint.token()
            let value = carrier == "authorization" ? "Bearer \(token) " : " \(token)\t"
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("GET", "/api/test/user", headers: [(carrier, value), ("Connection", listed)]))
            #expect(try await client.readResponse().status == 200)
            let seen = try #require(stack.service.requests.last)
            #expect(seen.header("authorization") == ["Bearer \(token)"])
            #expect(seen.header("x-access-token").isEmpty)
        }
    }

    @Test("two different tokens are refused 400 and reach no service; the same token twice is one credential")
    func conflictingTokens() async throws {
        try await withStack { stack in
            let user = try await stack.mint.token()
            let other = try await stack.mint.token(roles: ["admin"])
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("GET", "/api/test/admin", headers: [("x-access-token", user), ("Authorization", "Bearer \(other)"), ("Connection", "x-access-token")]))
            let refused = try await client.readResponse()
            #expect(refused.status == 400)
            #expect(refused.text == #"{"message":"x-access-token and Authorization carry different tokens"}"#)
            #expect(stack.service.requests.isEmpty)

            let again = try await stack.gateway.connect()
            try await again.send(rawRequest("GET", "/api/test/user", headers: [("x-access-token", user), ("Authorization", "Bearer \(user)")]))
            #expect(try await again.readResponse().status == 200)
            #expect(stack.service.requests.last?.header("authorization") == ["Bearer \(user)"])
        }
    }

    @Test("public routes forward no credential; signup forwards the request's one token for the auth service to check")
    func publicRoutesCredential() async throws {
        try await withStack { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("GET", "/api/test/all", headers: [("x-access-token", "anything"), ("Authorization", "Basic dXNlcg==")]))
            #expect(try await client.readResponse().status == 200)
            #expect(stack.service.requests.last?.header("authorization") == [])
            try await client.send(rawRequest("POST", "/api/auth/signin", headers: [("Authorization", "Bearer anything")], body: "{}"))
            #expect(try await client.readResponse().status == 200)
            #expect(stack.service.requests.last?.header("authorization") == [])
            try await client.send(rawRequest("POST", "/api/auth/signup", headers: [("x-access-token", "admin-token")], body: "{}"))
            #expect(try await client.readResponse().status == 200)
            #expect(stack.service.requests.last?.header("authorization") == ["Bearer admin-token"])
            #expect(stack.service.requests.last?.header("x-access-token") == [])
        }
    }

    @Test("a fragment is cut from the target before routing and never sent")
    func fragmentNotSent() async throws {
        try await withStack { stack in
            let token = try await stack.mint.token()
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("GET", "/api/test/user?x=1#frag", headers: [("x-access-token", token)]))
            #expect(try await client.readResponse().status == 200)
            #expect(stack.service.requests.last?.uri == "/api/test/user?x=1")
        }
    }

    @Test("Connection cannot remove Content-Type; it does remove an ordinary header it names")
    func contentTypeOutlivesConnection() async throws {
        try await withStack { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("POST", "/api/auth/signin", headers: [("Content-Type", "application/json"), ("X-Hop", "1"), ("Connection", "content-type, x-hop")], body: "{}"))
            #expect(try await client.readResponse().status == 200)
            let seen = try #require(stack.service.requests.last)
            #expect(seen.header("content-type") == ["application/json"])
            #expect(seen.header("x-hop") == [])
        }
    }

    @Test("Upgrade and CONNECT get a whole 400 and the connection closes; nothing reaches a service", arguments: [
        rawRequest("GET", "/api/test/all", headers: [("Connection", "Upgrade"), ("Upgrade", "websocket")]),
        rawRequest("GET", "/api/test/all", headers: [("Connection", "keep-alive, upgrade"), ("Upgrade", "h2c")]),
        rawRequest("CONNECT", "gateway.test:443"),
        rawRequest("CONNECT", "/api/test/all"),
    ])
    func notProxied(request: String) async throws {
        try await withStack { stack in
            let client = try await stack.gateway.connect()
            try await client.send(request + String(repeating: "x", count: 100_000))
            let answer = try await client.readResponse()
            #expect(answer.status == 400)
            #expect(answer.header("content-length") == String(answer.body.count))
            #expect(answer.text.hasPrefix(#"{"message":""#))
            #expect(answer.closesConnection)
            #expect(try await client.isClosed(within: .seconds(5)))
            #expect(stack.service.requests.isEmpty)
        }
    }
}
