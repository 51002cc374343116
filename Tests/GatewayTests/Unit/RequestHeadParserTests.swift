@testable import Gateway
import Common
import NIOCore
import NIOHTTP1
import Testing

@Suite("Request heads are read strictly, from bytes, and only whole")
struct RequestHeadParserTests {
    private func parse(_ text: String, limits: HeadLimits = HeadLimits()) -> (RequestHeadParser.Outcome, rest: String) {
        var buffer = ByteBuffer(string: text)
        let outcome = RequestHeadParser.parse(&buffer, scanned: 0, limits: limits)
        return (outcome, String(buffer: buffer))
    }

    private func head(_ text: String) throws -> RequestHead {
        guard case .head(let head) = self.parse(text).0 else { throw Refused(text: text) }
        return head
    }

    private func refusal(_ text: String, limits: HeadLimits = HeadLimits()) -> APIError? {
        if case .refused(let error) = self.parse(text, limits: limits).0 { return error }
        return nil
    }

    struct Refused: Error {
        var text: String
    }

    @Test("a head gives its method, target, version and fields, values without the whitespace around them; what follows stays")
    func parsesAHead() throws {
        let (outcome, rest) = self.parse("POST /api/auth/signin?x=1 HTTP/1.1\r\nHost: a\r\nX-Custom:  spaced value \t\r\nEmpty:\r\n\r\n{\"a\":1}GET")
        guard case .head(let head) = outcome else { Issue.record("not parsed: \(outcome)"); return }
        #expect(head.method == .POST)
        #expect(head.target == "/api/auth/signin?x=1")
        #expect(head.version == .http1_1)
        #expect(head.headers.fields.map(\.name) == [.host, .other, .other])
        #expect(head.headers.first(.host) == "a")
        #expect(head.headers.fields.map { head.headers.value(of: $0) } == ["a", "spaced value", ""])
        #expect(head.headers.fields.map { String(decoding: head.headers.line(of: $0), as: UTF8.self) } == ["Host: a", "X-Custom:  spaced value", "Empty:"])
        #expect(rest == "{\"a\":1}GET")
    }

    @Test("HTTP/1.0 is read as such; any other version is refused", arguments: ["HTTP/2.0", "HTTP/1.2", "HTTP/0.9"])
    func versions(version: String) throws {
        #expect(try self.head("GET / HTTP/1.0\r\n\r\n").version == .http1_0)
        #expect(self.refusal("GET / \(version)\r\nHost: a\r\n\r\n") == RequestHeadParser.unsupportedVersion)
    }

    @Test("empty lines before the request line are skipped (RFC 9112 §2.2)")
    func leadingEmptyLines() throws {
        #expect(try self.head("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n").target == "/")
    }

    @Test("an incomplete head waits, and its end is searched for only in what is new", arguments: 0..<39)
    func incomplete(cut: Int) {
        let text = Array("GET /api/test/all HTTP/1.1\r\nHost: a\r\n\r\n".utf8)
        #expect(text.count == 39)
        var buffer = ByteBuffer(bytes: text.prefix(cut))
        var scanned = 0
        guard case .incomplete(let next) = RequestHeadParser.parse(&buffer, scanned: scanned, limits: HeadLimits()) else {
            Issue.record("a head cut at \(cut) was taken")
            return
        }
        scanned = next
        buffer.writeBytes(text.dropFirst(cut))
        guard case .head(let head) = RequestHeadParser.parse(&buffer, scanned: scanned, limits: HeadLimits()) else {
            Issue.record("the completed head was not taken")
            return
        }
        #expect(head.target == "/api/test/all")
    }

    @Test("anything but the strict syntax is refused as malformed", arguments: [
        "GET  / HTTP/1.1\r\n\r\n",  // two spaces
        "GET / HTTP/1.1 \r\n\r\n",  // trailing space
        "GET /\r\n\r\n",  // no version
        " GET / HTTP/1.1\r\n\r\n",
        "G(T / HTTP/1.1\r\n\r\n",  // not a token
        "GET / HTTP/1.1\nHost: a\r\n\r\n",  // bare LF
        "GET / HTTP/1.1\r\nHost : a\r\n\r\n",  // whitespace before the colon
        "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",  // obs-fold
        "GET / HTTP/1.1\r\nNo colon\r\n\r\n",
        "GET / HTTP/1.1\r\n: empty name\r\n\r\n",
        "GET / HTTP/1.1\r\nX: a\u{01}b\r\n\r\n",  // a control character
        "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n",  // a bare CR
        "GET / HTTP/1.1\r\nX: a\u{7f}\r\n\r\n",  // DEL
        "GET /a\u{7f} HTTP/1.1\r\n\r\n",
        "GET /é HTTP/1.1\r\n\r\n",  // a target outside ASCII
        "\nGET / HTTP/1.1\r\n\r\n",
    ])
    func malformed(text: String) {
        #expect(self.refusal(text) == RequestHeadParser.malformed, "\(text.debugDescription)")
    }

    @Test("obs-text in a value is kept as bytes, not refused")
    func obsText() throws {
        var buffer = ByteBuffer(string: "GET / HTTP/1.1\r\nX-Name: ")
        buffer.writeBytes([0xE9, 0x80])
        buffer.writeString("\r\n\r\n")
        guard case .head(let head) = RequestHeadParser.parse(&buffer, scanned: 0, limits: HeadLimits()) else {
            Issue.record("refused")
            return
        }
        #expect(Array(head.headers.valueBytes(of: head.headers.fields[0])) == [0xE9, 0x80])
    }

    @Test("the limits: a head over its size, a line over its size or too many fields is 431; at the limits it passes")
    func limits() throws {
        let limits = HeadLimits(headBytes: 200, lineBytes: 50, fieldCount: 3)
        let tooLarge = RequestHeadParser.tooLarge
        #expect(self.refusal("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 60) + "\r\n\r\n", limits: limits) == tooLarge)
        #expect(self.refusal("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", limits: limits) == tooLarge)
        #expect(self.refusal("GET / HTTP/1.1\r\n" + String(repeating: "X: 0123456789012345678901234567890123\r\n", count: 5) + "\r\n", limits: limits) == tooLarge)
        // No end in sight, but already over the limit: refused without waiting for more.
        #expect(self.refusal("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 300), limits: limits) == tooLarge)
        guard case .head = self.parse("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: " + String(repeating: "c", count: 47) + "\r\n\r\n", limits: limits).0 else {
            Issue.record("a head at the limits was refused")
            return
        }
    }
}
