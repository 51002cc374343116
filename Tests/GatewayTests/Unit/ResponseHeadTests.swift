@testable import Gateway
import Common
import NIOCore
import NIOHTTP1
import Testing

@Suite("A service's answer head is read strictly and written on with the gateway's framing")
struct ResponseHeadTests {
    private func parse(_ text: String) -> ResponseHead? {
        var buffer = ByteBuffer(string: text)
        if case .head(let head) = ResponseHeadParser.parse(&buffer, scanned: 0, limits: HeadLimits()) { return head }
        return nil
    }

    @Test("the framing of a response body (RFC 9112 §6.3)", arguments: [
        ("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", ResponseFraming.length(12)),
        ("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", .empty),
        ("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n", .length(5)),
        ("HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n", .empty),
        ("HTTP/1.1 304 Not Modified\r\n\r\n", .empty),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 9\r\n\r\n", .chunked),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", .untilClose),
        ("HTTP/1.1 200 OK\r\n\r\n", .untilClose),
        ("HTTP/1.1 200\r\nContent-Length: 1\r\n\r\n", .length(1)),
    ])
    func framing(text: String, framing: ResponseFraming) {
        #expect(self.parse(text)?.framing == framing)
    }

    @Test("keep-alive: HTTP/1.1 unless the service says close or gives no length", arguments: [
        ("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n", true), ("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n", false),
        ("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n", false), ("HTTP/1.1 200 OK\r\n\r\n", false),
    ])
    func keepAlive(text: String, keepAlive: Bool) {
        #expect(self.parse(text)?.keepAlive == keepAlive)
    }

    @Test("anything else is malformed", arguments: [
        "HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1  200 OK\r\n\r\n", "http/1.1 200 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n", "HTTP/1.1 200 OK\r\nX: a\nb\r\n\r\n",
    ])
    func malformed(text: String) {
        var buffer = ByteBuffer(string: text)
        guard case .malformed = ResponseHeadParser.parse(&buffer, scanned: 0, limits: HeadLimits()) else {
            Issue.record("accepted: \(text.debugDescription)")
            return
        }
    }

    private func written(_ text: String, version: HTTPVersion = .http1_1, origin: String? = nil, closes: Bool = false, isHEAD: Bool = false)
        -> (text: String, framing: ClientFraming, closes: Bool, position: StreamID?)
    {
        let writer = ResponseHeadWriter(
            version: version, requestID: "rid", cors: CORSPolicy(allowedOrigins: ["http://localhost:8081"]), origin: origin, closes: closes
        )
        var out = ByteBuffer()
        let result = writer.write(self.parse(text)!, isHEAD: isHEAD, into: &out)
        return (String(buffer: out), result.framing, result.closes, result.position)
    }

    @Test("the client gets the service's status and fields, less hop-by-hop, Server and internal ones, plus the gateway's own")
    func filtered() {
        let result = self.written(
            "HTTP/1.1 418 I'm a teapot\r\nServer: stand-in\r\nConnection: x-hop\r\nX-Hop: secret\r\nKeep-Alive: 5\r\nX-Kept: yes\r\n"
                + "x-revocation-position: 5-1\r\nx-request-id: theirs\r\nVary: Accept\r\nContent-Length: 3\r\n\r\n",
            origin: "http://localhost:8081"
        )
        #expect(result.text == "HTTP/1.1 418 I'm a teapot\r\nX-Kept: yes\r\ncontent-length: 3\r\nvary: Accept, Origin\r\n"
            + "access-control-allow-origin: http://localhost:8081\r\naccess-control-allow-credentials: true\r\n"
            + "access-control-expose-headers: x-request-id, retry-after\r\nx-request-id: rid\r\n\r\n")
        #expect(result.framing == .length)
        #expect(result.position == StreamID("5-1"))
    }

    @Test("an answer of unknown length is chunked for HTTP/1.1 and close-delimited for HTTP/1.0; HEAD gets no body")
    func unsized() {
        let chunked = self.written("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        #expect(chunked.framing == .chunked && chunked.text.contains("transfer-encoding: chunked\r\n") && !chunked.closes)
        let old = self.written("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", version: .http1_0)
        #expect(old.framing == .untilClose && old.closes && old.text.hasPrefix("HTTP/1.0 200 OK\r\n") && old.text.hasSuffix("connection: close\r\n\r\n"))
        #expect(self.written("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", isHEAD: true).framing == .empty)
        let empty = self.written("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", version: .http1_0)
        #expect(empty.text.contains("content-length: 0\r\n") && empty.text.hasSuffix("connection: keep-alive\r\n\r\n"))
    }
}

@Suite("The request a service gets is written by the gateway")
struct UpstreamRequestWriterTests {
    private func write(_ head: RequestHead, token: String? = nil, body: String? = nil, traceFields: [(name: String, value: String)] = []) -> String {
        var out = ByteBuffer()
        UpstreamRequestWriter(authority: "content:8083", clientAddress: "203.0.113.9", requestID: "rid", token: token, traceFields: traceFields)
            .write(head, target: RequestHeadCheck.originForm(of: head.target), body: body.map { ByteBuffer(string: $0) }, into: &out)
        return String(buffer: out)
    }

    @Test("framing, token, forwarding fields and the request id are the gateway's; the client's other fields pass as they came")
    func written() {
        let head = RequestHead.parsed("POST", "/api/auth/signup#frag", headers: [
            ("Host", "gateway.test"), ("Content-Type", "application/json"), ("Content-Length", "999"), ("Transfer-Encoding", "chunked"),
            ("x-access-token", "client"), ("Authorization", "Bearer other"), ("X-Forwarded-For", "6.6.6.6"), ("Connection", "x-hop, content-type"),
            ("X-Hop", "1"), ("X-Request-Id", "theirs"), ("X-User-Id", "1"), ("Accept", "*/*"),
        ])
        #expect(self.write(head, token: "checked", body: "{}") == "POST /api/auth/signup HTTP/1.1\r\nhost: content:8083\r\n"
            + "Content-Type: application/json\r\nAccept: */*\r\nx-forwarded-for: 203.0.113.9\r\nx-forwarded-proto: http\r\n"
            + "x-forwarded-host: gateway.test\r\nx-request-id: rid\r\nauthorization: Bearer checked\r\ncontent-length: 2\r\n\r\n{}")
    }

    @Test("tracing, the service's trace fields are the gateway's span, not the client's; not tracing, the client's pass")
    func traceFields() {
        let head = RequestHead.parsed("GET", "/api/test/user", headers: [
            ("Host", "a"), ("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), ("TraceState", "vendor=client"),
        ])
        let ours = "00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-01"
        let traced = self.write(head, traceFields: [("traceparent", ours)])
        #expect(traced.contains("traceparent: \(ours)\r\n") && !traced.contains("00f067aa0ba902b7") && !traced.contains("vendor=client"))
        let passed = self.write(head)
        #expect(passed.contains("traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\nTraceState: vendor=client\r\n"))
    }

    @Test("HEAD goes as GET; a GET without a body has no length; a POST without one has 0")
    func methodsAndLengths() {
        #expect(self.write(.parsed("HEAD", "/api/test/all", headers: [("Host", "a")])).hasPrefix("GET /api/test/all HTTP/1.1\r\n"))
        #expect(!self.write(.parsed("GET", "/api/test/all", headers: [("Host", "a")])).contains("content-length"))
        #expect(self.write(.parsed("POST", "/api/auth/signout", headers: [("Host", "a")])).contains("content-length: 0\r\n"))
        #expect(self.write(.parsed("GET", "http://gateway.test/api/test/all?x=1", version: "HTTP/1.0")).hasPrefix("GET /api/test/all?x=1 HTTP/1.1\r\n"))
    }
}
