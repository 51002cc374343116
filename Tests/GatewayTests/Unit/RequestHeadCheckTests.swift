@testable import Gateway
import Common
import NIOHTTP1
import Testing

@Suite("What RFC 9112 and the limits demand of a request head")
struct RequestHeadCheckTests {
    static let limit = 1_000

    private func check(_ headers: [(String, String)], version: HTTPVersion = .http1_1) -> Result<RequestHeadCheck.Body, RequestHeadCheck.Problem> {
        RequestHeadCheck.body(of: HTTPRequestHead(version: version, method: .POST, uri: "/api/auth/signin", headers: HTTPHeaders(headers)), maxBodyBytes: Self.limit)
    }

    /// The problem of a refused head; fails the test when the head was accepted.
    private func problem(_ headers: [(String, String)], version: HTTPVersion = .http1_1) throws -> RequestHeadCheck.Problem {
        switch self.check(headers, version: version) {
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
            #expect(problem.error == APIError(.badRequest, "A request needs exactly one valid Host header"))
        }
    }

    @Test("HTTP/1.0 may leave Host out, but not send two")
    func hostOnHTTP10() throws {
        #expect(try self.check([], version: .http1_0).get() == .none)
        #expect(try self.problem([("host", "a"), ("host", "b")], version: .http1_0).error == APIError(.badRequest, "A request needs exactly one valid Host header"))
    }

    @Test("other HTTP versions are refused")
    func versions() throws {
        for version in [HTTPVersion(major: 2, minor: 0), HTTPVersion(major: 1, minor: 2), HTTPVersion(major: 0, minor: 9)] {
            let problem = try self.problem([("host", "a")], version: version)
            #expect(problem.error == APIError(.badRequest, "Unsupported HTTP version"))
        }
    }

    @Test("Transfer-Encoding is accepted only as exactly chunked", arguments: ["chunked", "Chunked", " chunked\t"])
    func chunked(value: String) throws {
        #expect(try self.check([("host", "a"), ("transfer-encoding", value)]).get() == .chunked)
    }

    @Test("any other transfer coding is 400", arguments: [["gzip, chunked"], ["chunked, gzip"], ["gzip"], ["identity"], ["chunked", "chunked"], ["chunked, chunked"], [""]])
    func otherCodings(values: [String]) throws {
        let problem = try self.problem([("host", "a")] + values.map { ("transfer-encoding", $0) })
        #expect(problem.error == APIError(.badRequest, "Unsupported transfer coding: only chunked is accepted"))
    }

    @Test("Transfer-Encoding together with Content-Length is refused: the framing is ambiguous")
    func codingAndLength() throws {
        let problem = try self.problem([("host", "a"), ("transfer-encoding", "chunked"), ("content-length", "5")])
        #expect(problem.error.status == .badRequest)
    }

    @Test("two Content-Length headers are refused, even equal ones")
    func duplicateLength() throws {
        for values in [["5", "5"], ["5", "6"]] {
            let problem = try self.problem([("host", "a")] + values.map { ("content-length", $0) })
            #expect(problem.error == APIError(.badRequest, "Conflicting Content-Length"))
        }
    }

    @Test("a Content-Length that is not a plain decimal number is refused", arguments: ["abc", "-1", "1 2", "5,5", "0x10", "", "+5", "99999999999999999999999"])
    func invalidLength(value: String) throws {
        let problem = try self.problem([("host", "a"), ("content-length", value)])
        #expect(problem.error == APIError(.badRequest, "Invalid Content-Length"))
    }

    @Test("a declared body over the limit is 413 before any of it is read; at the limit it passes")
    func lengthLimit() throws {
        let problem = try self.problem([("host", "a"), ("content-length", String(Self.limit + 1))])
        #expect(problem.error == .bodyTooLarge)
        #expect(try self.check([("host", "a"), ("content-length", String(Self.limit))]).get() == .length(Self.limit))
        #expect(try self.check([("host", "a"), ("content-length", "0")]).get() == .none)
        #expect(try self.check([("host", "a"), ("content-length", " 12 ")]).get() == .length(12))
    }

    @Test("two token headers are refused, so the gateway and the service cannot read different ones", arguments: ["x-access-token", "authorization"])
    func duplicateTokenHeaders(name: String) throws {
        let problem = try self.problem([("host", "a"), (name, "one"), (name, "two")])
        #expect(problem.error == APIError(.badRequest, "Duplicate \(name) header"))
        // The framing is intact: the connection can go on.
    }

    @Test("Expect: 100-continue is accepted; any other expectation is 417")
    func expectations() throws {
        #expect(try self.check([("host", "a"), ("expect", "100-continue"), ("content-length", "3")]).get() == .length(3))
        #expect(try self.check([("host", "a"), ("expect", "100-Continue"), ("content-length", "3")]).get() == .length(3))
        let problem = try self.problem([("host", "a"), ("expect", "200-ok")])
        #expect(problem.error == APIError(.expectationFailed, "Only Expect: 100-continue is supported"))
    }
}
