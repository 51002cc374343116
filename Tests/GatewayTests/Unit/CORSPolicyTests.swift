@testable import Gateway
import NIOCore
import NIOHTTP1
import Testing

@Suite("CORS: an exact allow-list, preflights answered by the gateway, Vary kept")
struct CORSPolicyTests {
    let policy = CORSPolicy(allowedOrigins: ["http://localhost:8081", "https://app.example.com"])

    private func facts(_ headers: [(String, String)]) -> RequestHeaderFacts {
        RequestHeaderFacts(.parsed(headers))
    }

    /// The CORS lines of an answer with these `Vary` lines (and its own allow-origin, or not).
    private func fields(vary: [String] = [], serviceAllowsOrigin: Bool = false, origin: String?) -> [(String, String)] {
        var out = ByteBuffer()
        self.policy.writeFields(vary: vary, serviceAllowsOrigin: serviceAllowsOrigin, origin: origin, into: &out)
        return String(buffer: out).components(separatedBy: "\r\n").filter { !$0.isEmpty }.map { line in
            let parts = line.split(separator: ":", maxSplits: 1)
            return (String(parts[0]), parts[1].trimmingCharacters(in: .whitespaces))
        }
    }

    private func values(_ name: String, in fields: [(String, String)]) -> [String] {
        fields.filter { $0.0 == name }.map(\.1)
    }

    @Test("an allowed origin is recognised exactly; anything else is not", arguments: [
        ("http://localhost:8081", true), ("https://app.example.com", true), ("http://evil.example", false),
        ("http://localhost:8081.evil.example", false), ("http://localhost:8081/", false), ("https://localhost:8081", false),
        ("HTTP://LOCALHOST:8081", false), ("null", false),
    ])
    func allowedOrigins(origin: String, allowed: Bool) {
        #expect(self.policy.allowedOrigin(self.facts([("origin", origin)]).origin) == (allowed ? origin : nil))
    }

    @Test("no Origin header means no allowed origin")
    func noOrigin() {
        #expect(self.policy.allowedOrigin(self.facts([]).origin) == nil)
    }

    @Test("a preflight is OPTIONS with Access-Control-Request-Method, and only that")
    func preflightRecognised() {
        #expect(CORSPolicy.isPreflight(method: .OPTIONS, facts: self.facts([("Access-Control-Request-Method", "GET")])))
        #expect(!CORSPolicy.isPreflight(method: .OPTIONS, facts: self.facts([])))
        #expect(!CORSPolicy.isPreflight(method: .GET, facts: self.facts([("access-control-request-method", "GET")])))
    }

    @Test("a preflight from an allowed origin allows the token headers, the methods and credentials")
    func preflightAllowed() {
        let headers = self.policy.preflightHeaders(origin: "http://localhost:8081")
        #expect(headers["access-control-allow-origin"] == ["http://localhost:8081"])
        #expect(headers["access-control-allow-credentials"] == ["true"])
        #expect(headers["vary"] == ["Origin"])
        let allowed = Set((headers.first(name: "access-control-allow-headers") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        #expect(allowed.isSuperset(of: ["x-access-token", "authorization", "content-type", "x-request-id"]))
        let methods = Set((headers.first(name: "access-control-allow-methods") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        #expect(methods.isSuperset(of: ["GET", "POST", "OPTIONS"]))
    }

    @Test("a preflight from any other origin gets Vary: Origin and no allow headers at all")
    func preflightRefused() {
        let headers = self.policy.preflightHeaders(origin: nil)
        #expect(headers.map(\.name).map { $0.lowercased() } == ["vary"])
    }

    @Test("an answer to an allowed origin carries it, credentials, the exposed headers and Vary: Origin")
    func decorateAllowed() {
        let fields = self.fields(origin: "https://app.example.com")
        #expect(self.values("access-control-allow-origin", in: fields) == ["https://app.example.com"])
        #expect(self.values("access-control-allow-credentials", in: fields) == ["true"])
        #expect(self.values("access-control-expose-headers", in: fields).first?.contains("x-request-id") == true)
        #expect(self.values("vary", in: fields) == ["Origin"])
    }

    @Test("an answer to any other origin gets Vary: Origin and no CORS grant")
    func decorateOther() {
        let fields = self.fields(origin: nil)
        #expect(fields.map(\.0) == ["vary"])
        #expect(self.values("vary", in: fields) == ["Origin"])
    }

    @Test("an upstream's own Access-Control-Allow-Origin is left as it is, not doubled")
    func upstreamGrantKept() {
        let fields = self.fields(serviceAllowsOrigin: true, origin: "http://localhost:8081")
        #expect(self.values("access-control-allow-origin", in: fields).isEmpty)
    }

    @Test("Origin is added to an upstream's Vary, never twice", arguments: [
        ("Accept-Encoding", "Accept-Encoding, Origin"), ("Origin", "Origin"), ("accept-encoding, origin", "accept-encoding, origin"),
        ("Cookie,Origin", "Cookie,Origin"), ("X-Origin-Region", "X-Origin-Region, Origin"),
    ])
    func varyAppended(upstream: String, expected: String) {
        #expect(self.values("vary", in: self.fields(vary: [upstream], origin: nil)) == [expected])
    }

    @Test("every Vary line of the upstream survives")
    func severalVaryLines() {
        let lines = self.values("vary", in: self.fields(vary: ["Accept-Encoding", "Cookie"], origin: nil))
        let fields = Set(lines.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
        #expect(fields == ["accept-encoding", "cookie", "origin"])
    }
}
