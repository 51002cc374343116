@testable import Gateway
import NIOHTTP1
import Testing

@Suite("CORS: an exact allow-list, preflights answered by the gateway, Vary kept")
struct CORSPolicyTests {
    let policy = CORSPolicy(allowedOrigins: ["http://localhost:8081", "https://app.example.com"])

    private func request(_ headers: [(String, String)], method: HTTPMethod = .GET) -> HTTPRequestHead {
        HTTPRequestHead(version: .http1_1, method: method, uri: "/api/test/user", headers: HTTPHeaders(headers))
    }

    @Test("an allowed origin is recognised exactly; anything else is not", arguments: [
        ("http://localhost:8081", true), ("https://app.example.com", true), ("http://evil.example", false),
        ("http://localhost:8081.evil.example", false), ("http://localhost:8081/", false), ("https://localhost:8081", false),
        ("HTTP://LOCALHOST:8081", false), ("null", false),
    ])
    func allowedOrigins(origin: String, allowed: Bool) {
        #expect(self.policy.allowedOrigin(of: self.request([("origin", origin)])) == (allowed ? origin : nil))
    }

    @Test("no Origin header means no allowed origin")
    func noOrigin() {
        #expect(self.policy.allowedOrigin(of: self.request([])) == nil)
    }

    @Test("a preflight is OPTIONS with Access-Control-Request-Method, and only that")
    func preflightRecognised() {
        #expect(CORSPolicy.isPreflight(self.request([("access-control-request-method", "GET")], method: .OPTIONS)))
        #expect(!CORSPolicy.isPreflight(self.request([], method: .OPTIONS)))
        #expect(!CORSPolicy.isPreflight(self.request([("access-control-request-method", "GET")])))
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
        var headers: HTTPHeaders = ["content-type": "application/json"]
        self.policy.decorate(&headers, origin: "https://app.example.com")
        #expect(headers["access-control-allow-origin"] == ["https://app.example.com"])
        #expect(headers["access-control-allow-credentials"] == ["true"])
        #expect(headers.first(name: "access-control-expose-headers")?.lowercased().contains("x-request-id") == true)
        #expect(headers["vary"] == ["Origin"])
    }

    @Test("an answer to any other origin gets Vary: Origin and no CORS grant")
    func decorateOther() {
        var headers = HTTPHeaders()
        self.policy.decorate(&headers, origin: nil)
        #expect(headers["vary"] == ["Origin"])
        #expect(!headers.contains(name: "access-control-allow-origin"))
        #expect(!headers.contains(name: "access-control-allow-credentials"))
    }

    @Test("an upstream's own Access-Control-Allow-Origin is left as it is, not doubled")
    func upstreamGrantKept() {
        var headers: HTTPHeaders = ["access-control-allow-origin": "http://localhost:8081"]
        self.policy.decorate(&headers, origin: "http://localhost:8081")
        #expect(headers["access-control-allow-origin"] == ["http://localhost:8081"])
    }

    @Test("Origin is added to an upstream's Vary, never twice", arguments: [
        ("Accept-Encoding", "Accept-Encoding, Origin"), ("Origin", "Origin"), ("accept-encoding, origin", "accept-encoding, origin"),
        ("Cookie,Origin", "Cookie,Origin"), ("X-Origin-Region", "X-Origin-Region, Origin"),
    ])
    func varyAppended(upstream: String, expected: String) {
        var headers: HTTPHeaders = ["vary": upstream]
        self.policy.decorate(&headers, origin: nil)
        #expect(headers["vary"] == [expected])
    }

    @Test("every Vary line of the upstream survives")
    func severalVaryLines() {
        var headers = HTTPHeaders([("vary", "Accept-Encoding"), ("vary", "Cookie")])
        self.policy.decorate(&headers, origin: nil)
        let fields = Set(headers["vary"].flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
        #expect(fields == ["accept-encoding", "cookie", "origin"])
    }
}
