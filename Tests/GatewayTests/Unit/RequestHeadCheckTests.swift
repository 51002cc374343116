@testable import Gateway
import Common
import NIOHTTP1
import Testing

@Suite("What RFC 9112 and the limits demand of a request head")
struct RequestHeadCheckTests {
    static let limit = 1_000

    private func check(_ headers: [(String, String)], version: String = "HTTP/1.1", method: String = "POST") -> Result<RequestHeadCheck.Body, APIError> {
        let head = RequestHead.parsed(method, "/api/auth/signin", version: version, headers: headers)
        return RequestHeadCheck.body(of: head, facts: RequestHeaderFacts(head.headers), maxBodyBytes: Self.limit)
    }

    /// The problem of a refused head; fails the test when the head was accepted.
    private func problem(_ headers: [(String, String)], version: String = "HTTP/1.1", method: String = "POST") throws -> APIError {
        switch self.check(headers, version: version, method: method) {
        case .failure(let problem): return problem
        case .success(let body): throw Accepted(headers: headers, body: body)
        }
    }

    struct Accepted: Error, CustomStringConvertible {
        var headers: [(String, String)]
        var body: RequestHeadCheck.Body
        var description: String { "accepted as \(self.body): \(self.headers)" }
    }

    @Test("HTTP/1.1 needs exactly one valid Host, else 400")
    func hostRules() throws {
        #expect(try self.check([("host", "gateway.example")]).get() == .none)
        for headers in [[], [("host", "a"), ("host", "a")], [("host", "")], [("host", "a b")], [("host", "x/y")], [("host", "user@x")], [("host", "x?y")]] {
            let problem = try self.problem(headers)
            #expect(problem == APIError(.badRequest, "A request needs exactly one valid Host header"))
        }
    }

    @Test("HTTP/1.0 may leave Host out, but not send two")
    func hostOnHTTP10() throws {
        #expect(try self.check([], version: "HTTP/1.0").get() == .none)
        #expect(try self.problem([("host", "a"), ("host", "b")], version: "HTTP/1.0") == APIError(.badRequest, "A request needs exactly one valid Host header"))
    }

    @Test("CONNECT and a request to switch protocols are refused: the gateway proxies HTTP/1.1 only")
    func notProxied() throws {
        #expect(try self.problem([("host", "a")], method: "CONNECT") == APIError(.badRequest, "CONNECT is not supported"))
        for connection in ["Upgrade", "keep-alive, upgrade", "UPGRADE"] {
            #expect(try self.problem([("host", "a"), ("connection", connection), ("upgrade", "websocket")]) == APIError(.badRequest, "Protocol upgrades are not supported"))
        }
        // Upgrade without Connection naming it is a plain header, and Connection: upgrade without Upgrade asks nothing.
        #expect(try self.check([("host", "a"), ("upgrade", "websocket")]).get() == .none)
        #expect(try self.check([("host", "a"), ("connection", "upgrade")]).get() == .none)
    }

    @Test("different tokens in x-access-token and Authorization are refused; the same one is fine")
    func conflictingTokens() throws {
        #expect(try self.problem([("host", "a"), ("x-access-token", "one"), ("authorization", "Bearer two")]) == RequestHeadCheck.conflictingTokens)
        #expect(try self.check([("host", "a"), ("x-access-token", "one"), ("authorization", "Bearer one")]).get() == .none)
    }

    @Test("Transfer-Encoding is accepted only as exactly chunked", arguments: ["chunked", "Chunked", " chunked\t"])
    func chunked(value: String) throws {
        #expect(try self.check([("host", "a"), ("transfer-encoding", value)]).get() == .chunked)
    }

    @Test("any other transfer coding is 400", arguments: [["gzip, chunked"], ["chunked, gzip"], ["gzip"], ["identity"], ["chunked", "chunked"], ["chunked, chunked"], [""]])
    func otherCodings(values: [String]) throws {
        let problem = try self.problem([("host", "a")] + values.map { ("transfer-encoding", $0) })
        #expect(problem == APIError(.badRequest, "Unsupported transfer coding: only chunked is accepted"))
    }

    @Test("Transfer-Encoding together with Content-Length is refused: the framing is ambiguous")
    func codingAndLength() throws {
        let problem = try self.problem([("host", "a"), ("transfer-encoding", "chunked"), ("content-length", "5")])
        #expect(problem.status == .badRequest)
    }

    @Test("two Content-Length headers are refused, even equal ones")
    func duplicateLength() throws {
        for values in [["5", "5"], ["5", "6"]] {
            let problem = try self.problem([("host", "a")] + values.map { ("content-length", $0) })
            #expect(problem == APIError(.badRequest, "Conflicting Content-Length"))
        }
    }

    @Test("a Content-Length that is not a plain decimal number is refused", arguments: ["abc", "-1", "1 2", "5,5", "0x10", "", "+5", "99999999999999999999999"])
    func invalidLength(value: String) throws {
        let problem = try self.problem([("host", "a"), ("content-length", value)])
        #expect(problem == APIError(.badRequest, "Invalid Content-Length"))
    }

    @Test("a declared body over the limit is 413 before any of it is read; at the limit it passes")
    func lengthLimit() throws {
        let problem = try self.problem([("host", "a"), ("content-length", String(Self.limit + 1))])
        #expect(problem == .bodyTooLarge)
        #expect(try self.check([("host", "a"), ("content-length", String(Self.limit))]).get() == .length(Self.limit))
        #expect(try self.check([("host", "a"), ("content-length", "0")]).get() == .none)
        #expect(try self.check([("host", "a"), ("content-length", " 12 ")]).get() == .length(12))
    }

    @Test("two token headers are refused, so the gateway and the service cannot read different ones", arguments: ["x-access-token", "authorization"])
    func duplicateTokenHeaders(name: String) throws {
        let problem = try self.problem([("host", "a"), (name, "one"), (name, "two")])
        #expect(problem == APIError(.badRequest, "Duplicate \(name) header"))
        // The framing is intact: the connection can go on.
    }

    @Test("Expect: 100-continue is accepted; any other expectation is 417")
    func expectations() throws {
        #expect(try self.check([("host", "a"), ("expect", "100-continue"), ("content-length", "3")]).get() == .length(3))
        #expect(try self.check([("host", "a"), ("expect", "100-Continue"), ("content-length", "3")]).get() == .length(3))
        let problem = try self.problem([("host", "a"), ("expect", "200-ok")])
        #expect(problem == APIError(.expectationFailed, "Only Expect: 100-continue is supported"))
    }
}
