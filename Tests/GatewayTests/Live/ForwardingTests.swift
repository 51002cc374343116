@testable import Gateway
import Foundation
import NIOHTTP1
import Testing

@Suite("Forwarding: what reaches the service and what comes back")
struct ForwardingTests {
    @Test("method, path and query, request id reach the service unchanged; the token as Authorization: Bearer")
    func forwardsRequest() async throws {
        try await withStack { stack in
            let token = try await stack.mint.token()
            let reply = try await stack.gateway.send(.GET, "/api/test/user?page=2&q=a%20b", headers: ["x-access-token": token, "x-request-id": "req-1234"])
            #expect(reply.status == 200)
            #expect(reply.headers["x-request-id"] == ["req-1234"])
            let seen = try #require(stack.service.requests.last)
            #expect(seen.method == .GET)
            #expect(seen.uri == "/api/test/user?page=2&q=a%20b")
            #expect(seen.header("x-access-token").isEmpty)
            #expect(seen.header("authorization") == ["Bearer \(token)"])
            #expect(seen.header("x-request-id") == ["req-1234"])
        }
    }

    @Test("identity, forwarding, hop-by-hop and Connection-listed headers stop at the gateway; other headers pass")
    func dropsHeaders() async throws {
        try await withStack { stack in
            let client = try await stack.gateway.connect()
            let dropped = [
                ("X-User-Roles", "admin"), ("X-User-Id", "1"), ("X-Forwarded-User", "root"), ("X-Remote-User", "root"),
                ("X-Authenticated-User", "root"), ("Forwarded", "for=6.6.6.6"), ("X-Forwarded-For", "6.6.6.6"),
                ("X-Forwarded-Host", "evil.example"), ("X-Forwarded-Proto", "https"), ("X-Forwarded-Port", "443"),
                ("Proxy-Authorization", "Basic c2VjcmV0"), ("TE", "trailers"), ("Keep-Alive", "timeout=5"),
                ("Connection", "keep-alive, X-Secret-Hop"), ("X-Secret-Hop", "1"), ("Trailer", "X-T"),
            ]
            try await client.send(rawRequest("GET", "/api/test/all", headers: dropped + [("X-Custom", "kept"), ("Accept", "text/plain")]))
            #expect(try await client.readResponse().status == 200)
            let seen = try #require(stack.service.requests.last)
            for (name, _) in dropped where !name.lowercased().hasPrefix("x-forwarded-") {
                #expect(seen.header(name).isEmpty, "\(name) reached the service")
            }
            #expect(seen.header("x-custom") == ["kept"])
            #expect(seen.header("accept") == ["text/plain"])
            #expect(seen.header("x-forwarded-port").isEmpty)
        }
    }

    @Test("X-Forwarded-For is the client's address, X-Forwarded-Proto http, X-Forwarded-Host the client's Host, Host the service's")
    func forwardingHeadersSet() async throws {
        try await withStack { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("GET", "/api/test/all", host: "gateway.test:8080", headers: [("X-Forwarded-For", "6.6.6.6")]))
            #expect(try await client.readResponse().status == 200)
            let seen = try #require(stack.service.requests.last)
            #expect(seen.header("x-forwarded-for") == ["127.0.0.1"])
            #expect(seen.header("x-forwarded-proto") == ["http"])
            #expect(seen.header("x-forwarded-host") == ["gateway.test:8080"])
            #expect(seen.header("host") == ["127.0.0.1:\(stack.service.port)"])
        }
    }

    @Test("behind a trusted proxy X-Forwarded-For is the client the proxy saw, and only that")
    func trustedProxyResolved() async throws {
        try await withStack(configure: { $0.trustedProxies = [IPNetwork("127.0.0.1")!] }) { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("GET", "/api/test/all", headers: [("X-Forwarded-For", "6.6.6.6, 198.51.100.9")]))
            #expect(try await client.readResponse().status == 200)
            #expect(stack.service.requests.last?.header("x-forwarded-for") == ["198.51.100.9"])
        }
    }

    @Test("a request body reaches the service byte for byte, sized or chunked")
    func bodyByteForByte() async throws {
        let body = Array(0...255).map(UInt8.init) + Array(#"{"username":"zoë","password":"p@ss wörd 🔑"}"#.utf8)
        try await withStack { stack in
            let reply = try await stack.gateway.send(.POST, "/api/auth/signup", headers: ["content-type": "application/octet-stream"], body: body)
            #expect(reply.status == 200)
            let sized = try #require(stack.service.requests.last)
            #expect(sized.method == .POST)
            #expect(sized.body == body)
            #expect(sized.header("content-length") == [String(body.count)])
            #expect(sized.header("content-type") == ["application/octet-stream"])

            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("POST", "/api/auth/signin", headers: [("Transfer-Encoding", "chunked")]))
            for part in [body[0..<100], body[100..<101], body[101...]] {
                try await client.send(bytes: Array(String(part.count, radix: 16).utf8) + [13, 10] + part + [13, 10])
            }
            try await client.send("0\r\n\r\n")
            #expect(try await client.readResponse().status == 200)
            #expect(stack.service.requests.last?.body == body)
        }
    }

    @Test("the service's status, body and own headers come back; Server, hop-by-hop and internal headers do not")
    func responseHeadersFiltered() async throws {
        let script: @Sendable (ReceivedRequest) -> StandInAnswer = { _ in
            .respond(
                status: HTTPResponseStatus(statusCode: 418),
                headers: [
                    "server": "stand-in/1.0", "x-upstream-marker": "kept", "connection": "x-hop", "x-hop": "secret",
                    "keep-alive": "timeout=5", "x-revocation-position": "0-0", "vary": "Accept-Encoding", "x-request-id": "from-upstream",
                ],
                body: Array("short and stout".utf8)
            )
        }
        try await withStack(script: script) { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("GET", "/api/test/all", headers: [("Origin", allowedOrigin), ("X-Request-Id", "client-id")]))
            let response = try await client.readResponse()
            #expect(response.status == 418)
            #expect(response.text == "short and stout")
            #expect(response.header("x-upstream-marker") == "kept")
            for name in ["server", "x-hop", "keep-alive", "x-revocation-position"] {
                #expect(response.header(name) == nil, "\(name) reached the client")
            }
            #expect(response.headers("x-request-id") == ["client-id"])
            #expect(response.headers("vary") == ["Accept-Encoding, Origin"])
            #expect(response.header("access-control-allow-origin") == allowedOrigin)
            #expect(!response.closesConnection)
        }
    }

    @Test("HEAD on a GET route is asked upstream as GET and answered with its head and no body")
    func headAsGet() async throws {
        try await withStack(script: { _ in .respond(headers: ["content-type": "text/plain"], body: Array("Public Content.".utf8)) }) { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("HEAD", "/api/test/all"))
            let head = try await client.readResponse(bodiless: true)
            #expect(head.status == 200)
            #expect(head.header("content-length") == "15")
            #expect(stack.service.requests.last?.method == .GET)
            // Had any body followed the HEAD answer, it would be read as the start of this response.
            try await client.send(rawRequest("GET", "/api/test/all"))
            let get = try await client.readResponse()
            #expect(get.status == 200)
            #expect(get.text == "Public Content.")
        }
    }

    @Test("a request id that is not sane is replaced by one of the gateway's, the same for the service and the client")
    func requestIDReplaced() async throws {
        try await withStack { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("GET", "/api/test/all", headers: [("X-Request-Id", String(repeating: "x", count: 200))]))
            let response = try await client.readResponse()
            let id = try #require(response.header("x-request-id"))
            #expect(id.utf8.count == 16)
            #expect(stack.service.requests.last?.header("x-request-id") == [id])
        }
    }

    @Test("an absolute-form target is routed by its path and reaches the service in origin-form")
    func absoluteFormForwarded() async throws {
        try await withStack { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("GET", "http://gateway.test/api/test/all?x=1"))
            #expect(try await client.readResponse().status == 200)
            #expect(stack.service.requests.last?.uri == "/api/test/all?x=1")
        }
    }
}
