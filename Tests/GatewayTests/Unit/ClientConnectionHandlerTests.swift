@testable import Gateway
import Common
import NIOCore
import NIOEmbedded
import Testing
import TestSupport

/// The connection handler on an `EmbeddedChannel`: what the client is answered and what each service
/// is sent, byte for byte, for each kind of input and each turn a service's answer can take.
@Suite("The client connection on an embedded channel: what the client gets and what the service gets")
struct ClientConnectionHandlerTests {
    let mint: TokenMint

    init() throws {
        self.mint = try TokenMint()
    }

    private func gateway(timeouts: ClientTimeouts = ClientTimeouts(header: 10, body: 10, idle: 60)) async throws -> EmbeddedGateway {
        try await EmbeddedGateway(mint: self.mint, timeouts: timeouts)
    }

    @Test("a request goes to the service as the gateway writes it, and the service's answer comes back with the gateway's fields")
    func forwarded() async throws {
        let gateway = try await self.gateway()
        let token = try await self.mint.token()
        try gateway.send("GET /api/test/user?x=1 HTTP/1.1\r\nHost: gateway.test\r\nx-access-token: \(token)\r\nX-Request-Id: rid-1\r\n\r\n")
        #expect(try gateway.received(by: 0) == "GET /api/test/user?x=1 HTTP/1.1\r\nhost: service.test:8083\r\nx-forwarded-for: 198.51.100.7\r\n"
            + "x-forwarded-proto: http\r\nx-forwarded-host: gateway.test\r\nx-request-id: rid-1\r\nauthorization: Bearer \(token)\r\n\r\n")
        #expect(try gateway.answers().isEmpty)
        try gateway.answer(0, serviceAnswer(200, "User Content.", headers: [("Server", "svc"), ("Content-Type", "text/plain")]))
        #expect(try gateway.written() == "HTTP/1.1 200 Whatever\r\nContent-Type: text/plain\r\ncontent-length: 13\r\nvary: Origin\r\nx-request-id: rid-1\r\n\r\nUser Content.")
        #expect(!gateway.clientClosed)
    }

    @Test("pipelined requests reach the service one at a time, each after the previous answer, on one reused connection")
    func pipelined() async throws {
        let gateway = try await self.gateway()
        try gateway.send(String(repeating: "GET /api/test/all HTTP/1.1\r\nHost: a\r\n\r\n", count: 3))
        #expect(gateway.services.count == 1)
        #expect(try gateway.received(by: 0).components(separatedBy: "GET ").count == 2, "only the first request went")
        for index in 0..<3 {
            try gateway.answer(0, serviceAnswer(200, "answer \(index)"))
            if index < 2 { #expect(try gateway.received(by: 0).hasPrefix("GET /api/test/all HTTP/1.1\r\n")) }
        }
        #expect(try gateway.answers().map(\.text) == ["answer 0", "answer 1", "answer 2"])
        #expect(gateway.services.count == 1)
    }

    @Test("Connection naming framing or the token changes nothing the service gets: one request, framed and credentialed by the gateway")
    func connectionOptionsCannotUnframe() async throws {
        let gateway = try await self.gateway()
        let token = try await self.mint.token()
        let inner = "GET /api/test/admin HTTP/1.1\r\nHost: a\r\n\r\n"
        try gateway.send("GET /api/test/user HTTP/1.1\r\nHost: a\r\nConnection: content-length, x-access-token\r\nx-access-token: \(token)\r\n"
            + "Content-Length: \(inner.utf8.count)\r\n\r\n\(inner)")
        let sent = try gateway.received(by: 0)
        #expect(sent.hasSuffix("authorization: Bearer \(token)\r\ncontent-length: \(inner.utf8.count)\r\n\r\n\(inner)"))
        #expect(sent.components(separatedBy: "HTTP/1.1\r\n").count == 3, "the inner request is body, not a request")
    }

    @Test("half a head sent behind a request gets the head deadline from the end of the answer, then 408 and a close")
    func halfHeadBehindARequest() async throws {
        let gateway = try await self.gateway()
        try gateway.send("GET /api/test/all HTTP/1.1\r\nHost: a\r\n\r\nGET /api/te")
        try gateway.answer(0, serviceAnswer())
        #expect(gateway.handler.machine.waiting == .head)
        gateway.advance(by: 9)
        #expect(!gateway.clientClosed)
        gateway.advance(by: 11)
        let answers = try gateway.answers()
        #expect(answers.map(\.status) == [200, 408])
        #expect(answers.last?.message == "Request header timeout")
        #expect(gateway.clientClosed)
    }

    @Test("an idle keep-alive connection gets the idle deadline, then closes without a word")
    func idleDeadline() async throws {
        let gateway = try await self.gateway()
        try gateway.send("GET /api/test/all HTTP/1.1\r\nHost: a\r\n\r\n")
        try gateway.answer(0, serviceAnswer())
        _ = try gateway.written()
        #expect(gateway.handler.machine.waiting == .idle)
        gateway.advance(by: 30)
        #expect(!gateway.clientClosed)
        gateway.advance(by: 61)
        #expect(try gateway.written().isEmpty)
        #expect(gateway.clientClosed)
    }

    @Test("a body that stops arriving gets 408 at the body deadline; no service is asked")
    func bodyDeadline() async throws {
        let gateway = try await self.gateway()
        try gateway.send("POST /api/auth/refreshtoken HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc")
        gateway.advance(by: 11)
        #expect(try gateway.answers().map(\.status) == [408])
        #expect(gateway.services.isEmpty)
        #expect(gateway.clientClosed)
    }

    @Test("Upgrade is refused whole, nothing more is read, and no service is asked")
    func upgrade() async throws {
        let gateway = try await self.gateway()
        try gateway.send("GET /api/test/all HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
        try gateway.send(String(repeating: "x", count: 100_000))
        let answers = try gateway.answers()
        #expect(answers.map(\.status) == [400])
        #expect(answers.first?.message == "Protocol upgrades are not supported")
        #expect(gateway.handler.inbound.readableBytes == 0, "bytes after the refusal were kept")
        #expect(gateway.services.isEmpty)
        #expect(gateway.clientClosed)
    }

    @Test("a service that answers and then sends more is never used again; the next request gets a fresh connection")
    func bytesAfterAnAnswer() async throws {
        let gateway = try await self.gateway()
        try gateway.send("GET /api/test/all HTTP/1.1\r\nHost: a\r\n\r\n")
        try gateway.answer(0, serviceAnswer() + "HTTP/1.1 200 OK\r\nX-Hijack: ")
        #expect(!gateway.services[0].isActive)
        try gateway.send("GET /api/test/all HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(gateway.services.count == 2)
        try gateway.answer(1, serviceAnswer(200, "second"))
        #expect(try gateway.answers().map(\.text) == ["ok", "second"])
    }

    @Test("a service that closes before answering: 503 JSON for a POST; a reused connection found closed is retried once for GET")
    func serviceClosesEarly() async throws {
        let gateway = try await self.gateway()
        let token = try await self.mint.token()
        try gateway.send("POST /api/auth/password HTTP/1.1\r\nHost: a\r\nx-access-token: \(token)\r\nContent-Length: 2\r\n\r\n{}")
        try gateway.services[0].close().wait()
        gateway.loop.run()
        #expect(try gateway.answers().map(\.status) == [503])

        let again = try await self.gateway()
        try again.send("GET /api/test/all HTTP/1.1\r\nHost: a\r\n\r\n")
        try again.answer(0, serviceAnswer())
        try again.send("GET /api/test/all HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = try again.received(by: 0)
        try again.services[0].close().wait()
        again.loop.run()
        #expect(again.services.count == 2)
        try again.answer(1, serviceAnswer(200, "retried"))
        #expect(try again.answers().map(\.text) == ["ok", "retried"])
    }

    @Test("a service that fails in the middle of its answer: the client's connection is cut, not answered twice")
    func serviceFailsMidAnswer() async throws {
        let gateway = try await self.gateway()
        try gateway.send("GET /api/test/all HTTP/1.1\r\nHost: a\r\n\r\n")
        try gateway.answer(0, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\npartial")
        try gateway.services[0].close().wait()
        gateway.loop.run()
        #expect(!gateway.client.isActive)
        #expect(try gateway.written().hasPrefix("HTTP/1.1 200 OK\r\n"))
    }

    @Test("a service that dies in the middle of a small answer: none of it has left, so the client gets 503 and keeps its connection")
    func serviceFailsMidSmallAnswer() async throws {
        let gateway = try await self.gateway()
        try gateway.send("GET /api/test/all HTTP/1.1\r\nHost: a\r\n\r\n")
        try gateway.answer(0, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
        try gateway.services[0].close().wait()
        gateway.loop.run()
        #expect(try gateway.answers().map(\.status) == [503])
        #expect(gateway.client.isActive)

        try gateway.send("GET /api/test/all HTTP/1.1\r\nHost: a\r\n\r\n")
        try gateway.answer(1, serviceAnswer(200, "next"))
        #expect(try gateway.answers().map(\.text) == ["next"])
    }

    @Test("an answer of unknown length is chunked for HTTP/1.1, sent raw and closed for HTTP/1.0, head only for HEAD")
    func framingForTheClient() async throws {
        let chunked = try await self.gateway()
        try chunked.send("GET /api/test/all HTTP/1.1\r\nHost: a\r\nX-Request-Id: rid\r\n\r\n")
        try chunked.answer(0, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
        #expect(try chunked.written().hasSuffix("transfer-encoding: chunked\r\nvary: Origin\r\nx-request-id: rid\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"))

        let old = try await self.gateway()
        try old.send("GET /api/test/all HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        try old.answer(0, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
        let text = try old.written()
        #expect(text.hasPrefix("HTTP/1.0 200 OK\r\n") && text.contains("connection: close\r\n") && text.hasSuffix("\r\n\r\nabc"))
        #expect(old.clientClosed)

        let head = try await self.gateway()
        try head.send("HEAD /api/test/all HTTP/1.1\r\nHost: a\r\nX-Request-Id: rid\r\n\r\n")
        #expect(try head.received(by: 0).hasPrefix("GET /api/test/all HTTP/1.1\r\n"))
        try head.answer(0, serviceAnswer(200, "Public Content."))
        #expect(try head.written().hasSuffix("content-length: 15\r\nvary: Origin\r\nx-request-id: rid\r\n\r\n"))
    }

    @Test("requests sent before FIN are all answered, in order, then the connection closes")
    func finAfterPipelinedRequests() async throws {
        let gateway = try await self.gateway()
        try gateway.send("GET /api/test/all HTTP/1.1\r\nHost: a\r\n\r\nGET /nowhere HTTP/1.1\r\nHost: a\r\n\r\nGET /api/test/all HTTP/1.1\r\nHost: a\r\n\r\n")
        gateway.finishWriting()
        try gateway.answer(0, serviceAnswer(200, "one"))
        try gateway.answer(0, serviceAnswer(200, "three"))
        let answers = try gateway.answers()
        #expect(answers.map(\.status) == [200, 404, 200])
        #expect(answers.last?.closesConnection == true)
        #expect(gateway.clientClosed)
    }

    @Test("FIN in the middle of a head or a body is 400; FIN on an idle connection closes it")
    func finMidRequest() async throws {
        let head = try await self.gateway()
        try head.send("GET /api/te")
        head.finishWriting()
        #expect(try head.answers().first?.message == "Request ended early")

        let body = try await self.gateway()
        try body.send("POST /api/auth/signin HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n{}")
        body.finishWriting()
        #expect(try body.answers().first?.message == "Request body ended early")
        #expect(body.services.isEmpty)

        let idle = try await self.gateway()
        idle.finishWriting()
        #expect(try idle.written().isEmpty)
        #expect(!idle.client.isActive)
    }

    @Test("a chunked body over the limit is 413 as soon as the chunk size says so")
    func chunkOverLimit() async throws {
        let gateway = try await EmbeddedGateway(mint: self.mint, maxBodyBytes: 1_000)
        try gateway.send("POST /api/auth/signin HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3E9")
        #expect(try gateway.answers().map(\.status) == [413])
        #expect(gateway.services.isEmpty)
    }

    @Test("Expect: 100-continue gets its interim answer before the body, and the request goes on when it comes")
    func continueBeforeBody() async throws {
        let gateway = try await self.gateway()
        let token = try await self.mint.token()
        try gateway.send("POST /api/auth/password HTTP/1.1\r\nHost: a\r\nx-access-token: \(token)\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
        let interim = try gateway.written()
        #expect(interim == "HTTP/1.1 100 Continue\r\n\r\n")
        try gateway.send("{}")
        #expect(try gateway.received(by: 0).hasSuffix("content-length: 2\r\n\r\n{}"))
    }

    @Test("a shutdown closes an idle connection at once and lets a request in flight finish first")
    func quiesce() async throws {
        let idle = try await self.gateway()
        idle.client.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        idle.loop.run()
        #expect(!idle.client.isActive)

        let busy = try await self.gateway()
        try busy.send("GET /api/test/all HTTP/1.1\r\nHost: a\r\n\r\n")
        busy.client.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        busy.loop.run()
        #expect(busy.client.isActive)
        try busy.answer(0, serviceAnswer())
        let answers = try busy.answers()
        #expect(answers.map(\.status) == [200] && answers[0].closesConnection)
        #expect(busy.clientClosed)
    }
}

extension ClientConnectionHandlerTests {
    @Test("an answer given before the body is read leaves the body read and dropped, and the next request whole", arguments: ["OPTIONS", "PUT", "POST"])
    func earlyAnswerDrainsTheBody(method: String) async throws {
        let gateway = try await self.gateway()
        try gateway.send("\(method) /api/auth/password HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nfalse")
        try gateway.send("GET /health/live HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try gateway.answers().map(\.status).last == 200)
    }
}

extension ClientConnectionHandlerTests {
    @Test("a connection holding part of a request reads on only while the loop's request buffers have room; a freed budget lets it go on")
    func requestBufferBudget() async throws {
        let gateway = try await EmbeddedGateway(mint: self.mint, requestBufferLimit: 10_000)
        let budget = gateway.state.requestBuffers
        budget.charge(10_000)  // other connections hold the loop's whole budget
        try gateway.send("GET /api/test/all HTTP/1.1\r\nHost: a\r\nX-Pad: ")
        #expect(budget.held > 10_000)
        gateway.client.read()
        #expect(gateway.handler.readHeld, "read on past the budget")
        budget.charge(-10_000)  // ... and let go of it
        #expect(!gateway.handler.readHeld)
        try gateway.send("x\r\n\r\n")
        #expect(gateway.services.count == 1)
        try gateway.answer(0, serviceAnswer())
        #expect(budget.held == 0, "an answered connection holds nothing")
    }
}

