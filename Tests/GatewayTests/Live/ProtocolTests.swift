@testable import Gateway
import Testing

@Suite("HTTP/1.1 on the wire: framing the client got wrong is a 4xx JSON answer and a closed connection")
struct ProtocolTests {
    /// A refusal as the contract wants it: this status, a JSON message, then the connection closed.
    private func expectRefusal(_ client: RawClient, status: Int, message: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let response = try await client.readResponse()
        #expect(response.status == status, sourceLocation: sourceLocation)
        #expect(response.header("content-type")?.hasPrefix("application/json") == true, sourceLocation: sourceLocation)
        if let message {
            #expect(response.message == message, sourceLocation: sourceLocation)
        } else {
            #expect(response.message?.isEmpty == false, "not a JSON message: \(response.text)", sourceLocation: sourceLocation)
        }
        #expect(try await client.isClosed(within: .seconds(2)), "the connection stayed open", sourceLocation: sourceLocation)
    }

    @Test(
        "malformed chunked framing is 400 JSON, the connection closes, and no service is asked",
        arguments: ["zz\r\nhello\r\n0\r\n\r\n", "-1\r\nhello\r\n0\r\n\r\n", "5\nhello\n0\n\n", "5\r\nhelloXX0\r\n\r\n", ";x\r\n\r\n"]
    )
    func malformedChunking(body: String) async throws {
        try await withStack { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("POST", "/api/auth/signin", headers: [("Transfer-Encoding", "chunked")]) + body)
            try await self.expectRefusal(client, status: 400)
            #expect(stack.service.connectionCount == 0)
        }
    }

    @Test(
        "a chunk size over the body limit is 413 as soon as its digits say so, even with no data behind it; no service is asked",
        arguments: ["ffffffffffffffff\r\nhello\r\n", "10000000000000000", "10001\r\n", "100000", "FFFF\r\n" + String(repeating: "x", count: 65_535) + "\r\n2\r\n"]
    )
    func oversizedChunk(body: String) async throws {
        // The body deadline is long: an answer within the read's wait is "at once".
        try await withStack(configure: { $0.maxRequestBodyBytes = 65_536; $0.clientTimeouts = ClientTimeouts(header: 10, body: 30, idle: 60) }) { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("POST", "/api/auth/signin", headers: [("Transfer-Encoding", "chunked")]) + body)
            let response = try await client.readResponse(within: .seconds(3))
            #expect(response.status == 413)
            #expect(response.message == "Request body is too large")
            #expect(try await client.isClosed(within: .seconds(3)))
            #expect(stack.service.connectionCount == 0)
        }
    }

    @Test("a body shorter than its Content-Length, then FIN, is 400 JSON and reaches no service")
    func bodyEndsEarly() async throws {
        try await withStack { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("POST", "/api/auth/refreshtoken", headers: [("Content-Length", "100")]) + String(repeating: "x", count: 16))
            try await client.finishWriting()
            try await self.expectRefusal(client, status: 400)
            #expect(stack.service.connectionCount == 0)
        }
    }

    @Test("a header field or header block over the limit is 431 JSON", arguments: [1, 10])
    func headersTooLarge(fields: Int) async throws {
        try await withStack { stack in
            let client = try await stack.gateway.connect()
            let size = fields == 1 ? 20_000 : 4_000
            let headers = (0..<fields).map { ("X-Padding-\($0)", String(repeating: "p", count: size)) }
            try await client.send(rawRequest("GET", "/api/test/all", headers: headers))
            try await self.expectRefusal(client, status: 431, message: "Request header fields too large")
            #expect(stack.service.connectionCount == 0)
        }
    }

    @Test("an HTTP/1.1 request without Host, or with two, is 400 JSON and closes", arguments: [0, 2])
    func hostRequired(hosts: Int) async throws {
        try await withStack { stack in
            let client = try await stack.gateway.connect()
            let headers = (0..<hosts).map { ("Host", "h\($0).example") }
            try await client.send(rawRequest("GET", "/api/test/all", host: nil, headers: headers))
            try await self.expectRefusal(client, status: 400, message: "A request needs exactly one valid Host header")
            #expect(stack.service.connectionCount == 0)
        }
    }

    @Test("a transfer coding other than chunked, or one beside Content-Length, is 400 JSON and closes", arguments: [
        [("Transfer-Encoding", "gzip, chunked")], [("Transfer-Encoding", "chunked"), ("Content-Length", "5")],
        [("Content-Length", "5"), ("Content-Length", "5")], [("Content-Length", "5"), ("Content-Length", "6")],
    ])
    func ambiguousFraming(headers: [(String, String)]) async throws {
        try await withStack { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("POST", "/api/auth/signin", headers: headers) + "5\r\nhello\r\n0\r\n\r\n")
            try await self.expectRefusal(client, status: 400)
            #expect(stack.service.connectionCount == 0)
        }
    }

    @Test("an HTTP/1.0 request is answered, then the connection closes, proxied or not", arguments: ["/", "/api/test/all"])
    func http10Closes(path: String) async throws {
        try await withStack { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("GET", path, host: nil, version: "HTTP/1.0"))
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.version == "HTTP/1.0")
            #expect(try await client.isClosed(within: .seconds(2)))
        }
    }

    @Test("an HTTP/1.0 request asking for keep-alive keeps its connection")
    func http10KeepAlive() async throws {
        try await withStack { stack in
            let client = try await stack.gateway.connect()
            for path in ["/api/test/all", "/"] {
                try await client.send(rawRequest("GET", path, host: nil, headers: [("Connection", "keep-alive")], version: "HTTP/1.0"))
                let response = try await client.readResponse()
                #expect(response.status == 200)
                #expect(response.header("connection")?.lowercased() == "keep-alive")
            }
            #expect(!(try await client.isClosed(within: .milliseconds(200))))
        }
    }

    @Test("pipelined requests are answered in order, each with its own answer")
    func pipelining() async throws {
        try await withStack(script: { $0.uri.hasSuffix("n=1") ? .respond(body: Array("slow".utf8), delay: .milliseconds(200)) : .echo }) { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("GET", "/api/test/all?n=1") + rawRequest("GET", "/") + rawRequest("POST", "/api/auth/signin?n=3", body: "{}"))
            #expect(try await client.readResponse().text == "slow")
            #expect(try await client.readResponse().message == LocalResponses.welcomeText)
            #expect(try await client.readResponse().json["uri"] as? String == "/api/auth/signin?n=3")
        }
    }

    @Test("two thousand pipelined requests in one write are all answered, in order, on the same connection")
    func deepPipeline() async throws {
        // Local answers complete at once, each handing over the next request: a recursion here
        // would overflow the event loop's stack.
        try await withStack { stack in
            let client = try await stack.gateway.connect()
            try await client.send(String(repeating: rawRequest("GET", "/"), count: 1000) + String(repeating: rawRequest("GET", "/nothing-here"), count: 1000))
            for index in 0..<2000 {
                let response = try await client.readResponse()
                #expect(response.status == (index < 1000 ? 200 : 404), "answer \(index)")
            }
            #expect(!(try await client.isClosed(within: .milliseconds(200))))
        }
    }

    @Test("bytes that do not parse after a pipelined request: that request is answered first, then 400 and close")
    func garbageAfterPipelinedRequest() async throws {
        try await withStack(script: { _ in .respond(body: Array("slow".utf8), delay: .milliseconds(200)) }) { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("GET", "/api/test/all") + "\u{16}\u{03}\u{01} not http\r\n\r\n")
            #expect(try await client.readResponse().text == "slow")
            try await self.expectRefusal(client, status: 400)
        }
    }

    @Test("a client that pipelines its requests and then shuts its side gets every answer, then the close")
    func pipelinedThenHalfClosed() async throws {
        try await withStack(script: { $0.uri.hasSuffix("n=1") ? .respond(body: Array("slow".utf8), delay: .milliseconds(200)) : .echo }) { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("GET", "/api/test/all?n=1") + rawRequest("GET", "/api/test/all?n=2") + rawRequest("GET", "/"))
            try await client.finishWriting()
            #expect(try await client.readResponse().text == "slow")
            #expect(try await client.readResponse().json["uri"] as? String == "/api/test/all?n=2")
            #expect(try await client.readResponse().message == LocalResponses.welcomeText)
            #expect(try await client.isClosed(within: .seconds(2)))
        }
    }

    @Test("Expect: 100-continue gets 100 Continue first, then the answer; the service sees the body and no Expect")
    func expectContinue() async throws {
        try await withStack { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("POST", "/api/auth/signin", headers: [("Expect", "100-continue"), ("Content-Length", "5")]))
            #expect(try await client.readResponse().status == 100)
            #expect(stack.service.connectionCount == 0)
            try await client.send("hello")
            #expect(try await client.readResponse().status == 200)
            let seen = try #require(stack.service.requests.last)
            #expect(seen.body == Array("hello".utf8))
            #expect(seen.header("expect").isEmpty)
        }
    }

    @Test("an expectation other than 100-continue is 417 JSON")
    func otherExpectation() async throws {
        try await withStack { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("POST", "/api/auth/signin", headers: [("Expect", "200-ok")], body: "hello"))
            try await self.expectRefusal(client, status: 417, message: "Only Expect: 100-continue is supported")
        }
    }

    @Test("a request that is not HTTP at all is 400 JSON and closes")
    func garbage() async throws {
        try await withStack { stack in
            let client = try await stack.gateway.connect()
            try await client.send("\u{16}\u{03}\u{01}\u{02}\u{00}\u{01}\u{00}\u{01}\u{fc}\u{03}\u{03}\r\n\r\n")
            try await self.expectRefusal(client, status: 400)
        }
    }
}
