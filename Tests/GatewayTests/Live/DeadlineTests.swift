@testable import Gateway
import Testing

@Suite("Client deadlines: a slow or silent client holds a connection for a bounded time only")
struct DeadlineTests {
    static let timeouts = ClientTimeouts(header: 0.5, body: 0.5, idle: 0.5)

    private func withShortDeadlines(_ timeouts: ClientTimeouts = Self.timeouts, _ body: (GatewayStack) async throws -> Void) async throws {
        try await withStack(exclusive: true, configure: { $0.clientTimeouts = timeouts }) { stack in
            try await body(stack)
            // Whatever the slow client did, the gateway still serves everyone else.
            let other = try await stack.gateway.connect()
            try await other.send(rawRequest("GET", "/api/test/all"))
            #expect(try await other.readResponse().status == 200)
        }
    }

    /// Waits for the server to close `client`; returns what it sent before and how long it took.
    private func closing(_ client: RawClient, after started: ContinuousClock.Instant) async throws -> ([UInt8], Duration) {
        let bytes = try await client.readUntilClosed(within: .seconds(5))
        return (bytes, ContinuousClock.now - started)
    }

    @Test("a connection that never sends a byte is closed at the header deadline, without an answer")
    func silentConnection() async throws {
        try await self.withShortDeadlines { stack in
            let started = ContinuousClock.now
            let client = try await stack.gateway.connect()
            let (bytes, elapsed) = try await self.closing(client, after: started)
            #expect(bytes.isEmpty)
            #expect(elapsed >= .milliseconds(450))
            #expect(elapsed < .seconds(2))
        }
    }

    @Test("a request head that stops half-way is 408 JSON at the header deadline, then closed")
    func partialHead() async throws {
        // A deadline long enough that the half head surely arrives before it on a loaded machine: a
        // connection whose first bytes come after the deadline is the silent one, closed unanswered.
        try await self.withShortDeadlines(ClientTimeouts(header: 2, body: 0.5, idle: 0.5)) { stack in
            let client = try await stack.gateway.connect()
            let started = ContinuousClock.now
            try await client.send("GET /api/test/all HTTP/1.1\r\nHost: gateway.test\r\nX-Slow: ")
            let response = try await client.readResponse()
            let elapsed = ContinuousClock.now - started
            #expect(response.status == 408)
            #expect(response.message == "Request header timeout")
            #expect(response.closesConnection)
            #expect(elapsed >= .milliseconds(1500))
            #expect(try await client.isClosed(within: .seconds(2)))
            #expect(stack.service.connectionCount == 0)
        }
    }

    @Test("a head trickled byte by byte does not get round the header deadline")
    func trickledHead() async throws {
        try await self.withShortDeadlines { stack in
            let client = try await stack.gateway.connect()
            let started = ContinuousClock.now
            var answer: RawResponse?
            for byte in "GET /api/test/all HTTP/1.1\r\nHost: gateway.test\r\nX-Slow: aaaaaaaaaaaaaaaaaaaa".utf8 {
                guard (try? await client.send(bytes: [byte])) != nil else { break }
                if let response = try? await client.readResponse(within: .milliseconds(100)) {
                    answer = response
                    break
                }
            }
            #expect(answer?.status == 408)
            #expect(ContinuousClock.now - started < .seconds(2))
        }
    }

    @Test("a body that stops half-way is 408 JSON at the body deadline, then closed, and reaches no service")
    func partialBody() async throws {
        try await self.withShortDeadlines { stack in
            let client = try await stack.gateway.connect()
            let started = ContinuousClock.now
            try await client.send(rawRequest("POST", "/api/auth/refreshtoken", headers: [("Content-Length", "100")]) + String(repeating: "x", count: 16))
            let response = try await client.readResponse()
            let elapsed = ContinuousClock.now - started
            #expect(response.status == 408)
            #expect(response.message == "Request body timeout")
            #expect(elapsed >= .milliseconds(450))
            #expect(elapsed < .seconds(2))
            #expect(try await client.isClosed(within: .seconds(2)))
            #expect(stack.service.connectionCount == 0)
        }
    }

    @Test("an idle keep-alive connection is closed at the idle deadline, without a word")
    func idleKeepAlive() async throws {
        try await self.withShortDeadlines { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("GET", "/api/test/all"))
            #expect(try await client.readResponse().status == 200)
            let started = ContinuousClock.now
            let (bytes, elapsed) = try await self.closing(client, after: started)
            #expect(bytes.isEmpty)
            #expect(elapsed >= .milliseconds(450))
            #expect(elapsed < .seconds(2))
        }
    }

    @Test("a keep-alive client that keeps asking within the idle deadline is never cut off")
    func busyKeepAlive() async throws {
        // Five pauses of 0.3 s outlast one idle deadline of 1 s, each well inside it (room for a busy machine).
        try await self.withShortDeadlines(ClientTimeouts(header: 0.5, body: 0.5, idle: 1)) { stack in
            let client = try await stack.gateway.connect()
            for _ in 0..<5 {
                try await client.send(rawRequest("GET", "/api/test/all"))
                #expect(try await client.readResponse().status == 200)
                try await Task.sleep(for: .milliseconds(300))
            }
        }
    }

    @Test("a slow service is not the client's fault: no client deadline fires while an answer is awaited")
    func slowServiceNotTimedOut() async throws {
        try await withStack(exclusive: true, script: { _ in .respond(body: Array("late".utf8), delay: .milliseconds(1_200)) }, configure: { $0.clientTimeouts = Self.timeouts }) { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("POST", "/api/auth/signin", body: "{}"))
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "late")
        }
    }

    @Test("half a further head sent while the answer before it is awaited is 408 at the header deadline after that answer, not left to the idle one")
    func partialHeadBehindAnAnswer() async throws {
        try await withStack(
            exclusive: true, script: { _ in .respond(body: Array("late".utf8), delay: .milliseconds(500)) },
            configure: { $0.clientTimeouts = ClientTimeouts(header: 1, body: 1, idle: 30) }
        ) { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("GET", "/api/test/all"))
            try await Task.sleep(for: .milliseconds(150))  // the request is with the service now
            try await client.send("GET /api/test/all HTTP/1.1\r\nHost: gateway.test\r\nX-Slow: ")
            #expect(try await client.readResponse().text == "late")
            let answered = ContinuousClock.now
            let response = try await client.readResponse(within: .seconds(5))
            #expect(response.status == 408)
            #expect(response.message == "Request header timeout")
            #expect(ContinuousClock.now - answered < .seconds(4))
        }
    }

    @Test("the default deadlines are the documented ones")
    func defaults() throws {
        #expect(try GatewayConfiguration().clientTimeouts == ClientTimeouts(header: 10, body: 10, idle: 60))
    }
}
