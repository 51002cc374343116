@testable import Gateway
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import TestSupport

@Suite("Upstream connections: kept alive, replaced when stale, and never a request sent twice unless safe")
struct UpstreamConnectionTests {
    @Test("sequential requests with and without a body on one client connection share one upstream connection")
    func keepAlive() async throws {
        // All to the auth service: each service has its own pool.
        try await withStack { stack in
            let client = try await stack.gateway.connect()
            for index in 0..<20 {
                if index.isMultiple(of: 2) {
                    try await client.send(rawRequest("GET", "/.well-known/jwks.json?n=\(index)"))
                } else {
                    try await client.send(rawRequest("POST", "/api/auth/signin", body: #"{"n":\#(index)}"#))
                }
                let response = try await client.readResponse()
                #expect(response.status == 200)
                #expect(response.json["uri"] as? String == (index.isMultiple(of: 2) ? "/.well-known/jwks.json?n=\(index)" : "/api/auth/signin"))
            }
            #expect(stack.service.requests.count == 20)
            #expect(stack.service.connectionCount == 1)
        }
    }

    @Test("fifty concurrent requests each get their own answer")
    func concurrentRequests() async throws {
        try await withStack { stack in
            let uris = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<50 {
                    group.addTask { try await stack.gateway.send(.GET, "/api/test/all?n=\(index)").json["uri"] as? String ?? "" }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(uris == Set((0..<50).map { "/api/test/all?n=\($0)" }))
        }
    }

    /// The stand-in answers the first request on each connection, and closes a connection on which
    /// a second request arrives: what a service does that closed an idle connection just as the
    /// gateway reused it, made deterministic.
    static let firstPerConnection: @Sendable (ReceivedRequest) -> StandInAnswer = { $0.indexOnConnection == 0 ? .echo : .close }

    @Test("a GET on a pooled connection the service closed is sent again, once, on a fresh connection")
    func staleConnectionRetried() async throws {
        try await withStack(script: Self.firstPerConnection) { stack in
            let client = try await stack.gateway.connect()
            for index in 0..<2 {
                try await client.send(rawRequest("GET", "/api/test/all?n=\(index)"))
                let response = try await client.readResponse()
                #expect(response.status == 200)
                #expect(response.json["uri"] as? String == "/api/test/all?n=\(index)")
            }
            let requests = stack.service.requests
            #expect(requests.map(\.uri) == ["/api/test/all?n=0", "/api/test/all?n=1", "/api/test/all?n=1"])
            #expect(requests.map(\.connection) == [0, 0, 1])
            #expect(stack.service.connectionCount == 2)
        }
    }

    @Test("a GET whose retry fails too is 503, not tried a third time")
    func retriedOnlyOnce() async throws {
        try await withStack(script: { $0.index == 0 ? .echo : .close }) { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("GET", "/api/test/all?n=0"))
            #expect(try await client.readResponse().status == 200)
            try await client.send(rawRequest("GET", "/api/test/all?n=1"))
            let response = try await client.readResponse()
            #expect(response.status == 503)
            #expect(response.message == "Service temporarily unavailable")
            #expect(stack.service.requests.count == 3)
            #expect(stack.service.connectionCount == 2)
        }
    }

    @Test("a POST on a pooled connection that breaks before the answer is not sent again: 503")
    func postNotRetried() async throws {
        try await withStack(script: Self.firstPerConnection) { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("POST", "/api/auth/signin", body: "{}"))
            #expect(try await client.readResponse().status == 200)
            try await client.send(rawRequest("POST", "/api/auth/refreshtoken", body: #"{"refreshToken":"r"}"#))
            let response = try await client.readResponse()
            #expect(response.status == 503)
            #expect(response.message == "Service temporarily unavailable")
            #expect(stack.service.requests.map(\.uri) == ["/api/auth/signin", "/api/auth/refreshtoken"])
            #expect(stack.service.connectionCount == 1)
        }
    }

    @Test("a service that is down is 503 JSON at once (under 2 s, not at UPSTREAM_TIMEOUT), for public and protected routes")
    func serviceDown() async throws {
        let mint = try TokenMint()
        let setup = GatewaySetup(mint: mint, upstream: nil, redisURL: try TestRedis.url(database: TestRedis.sharedReadOnlyDatabase), exclusive: true)
        try await withGateway(setup) { gateway in
            let token = try await mint.token()
            let cases: [(HTTPMethod, String, HTTPHeaders)] = [
                (.GET, "/api/test/all", [:]), (.POST, "/api/auth/signin", [:]), (.GET, "/.well-known/jwks.json", [:]),
                (.GET, "/api/test/user", ["x-access-token": token]),
            ]
            for (method, path, headers) in cases {
                let started = ContinuousClock.now
                let reply = try await gateway.send(method, path, headers: headers, body: method == .POST ? Array("{}".utf8) : nil)
                #expect(reply.status == 503, "\(path)")
                #expect(reply.message == "Service temporarily unavailable")
                #expect(ContinuousClock.now - started < .seconds(2), "\(path)")
            }
        }
    }

    @Test("a service slower than UPSTREAM_TIMEOUT is 503 at the deadline, and the client connection goes on")
    func upstreamTimeout() async throws {
        try await withStack(exclusive: true, script: { $0.uri == "/api/test/all?slow" ? .hang : .echo }, configure: { $0.upstreamTimeout = 0.5 }) { stack in
            let client = try await stack.gateway.connect()
            let started = ContinuousClock.now
            try await client.send(rawRequest("GET", "/api/test/all?slow"))
            let response = try await client.readResponse()
            let elapsed = ContinuousClock.now - started
            #expect(response.status == 503)
            #expect(response.message == "Service temporarily unavailable")
            #expect(elapsed >= .milliseconds(500))
            #expect(elapsed < .seconds(2))
            try await client.send(rawRequest("GET", "/api/test/all?fast"))
            #expect(try await client.readResponse().status == 200)
        }
    }

    @Test("a service that closes in the middle of a large answer leaves the client with a closed connection, not a complete answer")
    func closedMidLargeResponse() async throws {
        try await withStack(script: { _ in .truncate(declaredLength: 100_000, sending: [UInt8](repeating: 0x2E, count: 100)) }) { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("GET", "/api/test/all"))
            let received = try await client.readUntilClosed()
            let parsed = try RawResponseParser.parse(ByteBuffer(bytes: received), bodiless: false, closed: true)
            #expect(parsed == nil, "a cut-short answer reached the client as complete")
            #expect(received.count < 100_000)
        }
    }

    @Test("a service that closes in the middle of a small answer (held whole until its end): the client gets 503, and its connection goes on")
    func closedMidSmallResponse() async throws {
        try await withStack(script: { request in
            request.uri == "/api/test/all?cut" ? .truncate(declaredLength: 1_000, sending: [UInt8](repeating: 0x2E, count: 100)) : .echo
        }) { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("GET", "/api/test/all?cut"))
            let response = try await client.readResponse()
            #expect(response.status == 503)
            #expect(response.message == "Service temporarily unavailable")
            try await client.send(rawRequest("GET", "/api/test/all?after"))
            #expect(try await client.readResponse().status == 200)
        }
    }
}
