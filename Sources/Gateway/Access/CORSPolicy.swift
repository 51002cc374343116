import Foundation
import NIOHTTP1

/// CORS with an exact allow-list (Hummingbird's `CORSMiddleware` allows one origin or all): an
/// allowed origin is echoed with credentials allowed, any other origin gets no
/// `Access-Control-Allow-Origin`. `Vary: Origin` is added to whatever `Vary` the service sent.
struct CORSPolicy: Sendable {
    static let allowedMethods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
    static let allowedHeaders = "x-access-token, authorization, content-type, x-request-id"
    static let exposedHeaders = "x-request-id, retry-after"

    private let allowedOrigins: Set<String>

    init(allowedOrigins: [String]) {
        self.allowedOrigins = Set(allowedOrigins)
    }

    /// `origin` (the request's `Origin` header) when it is allowed.
    func allowedOrigin(_ origin: String?) -> String? {
        guard let origin, self.allowedOrigins.contains(origin) else { return nil }
        return origin
    }

    /// A browser's preflight: `OPTIONS` with `Access-Control-Request-Method`.
    static func isPreflight(method: HTTPMethod, facts: RequestHeaderFacts) -> Bool {
        method == .OPTIONS && facts.asksForPreflight
    }

    /// The 204 answer's headers for a preflight.
    func preflightHeaders(origin: String?) -> HTTPHeaders {
        var headers: HTTPHeaders = ["vary": "Origin"]
        if let origin {
            headers.add(name: "access-control-allow-origin", value: origin)
            headers.add(name: "access-control-allow-methods", value: Self.allowedMethods)
            headers.add(name: "access-control-allow-headers", value: Self.allowedHeaders)
            headers.add(name: "access-control-allow-credentials", value: "true")
            headers.add(name: "access-control-max-age", value: "600")
        }
        return headers
    }

    /// The CORS field lines of an actual (non-preflight) answer, each ending in CRLF. `Vary: Origin`
    /// joins the `Vary` lines the answer had (given in `vary`, and written here), unless one of them
    /// already names Origin; the allow fields are added for an allowed origin unless the answer has
    /// its own.
    func fields(vary: [String], serviceAllowsOrigin: Bool, origin: String?) -> [String] {
        var lines: [String] = []
        let varies = vary.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if varies.contains("origin") || varies.contains("*") {
            lines += vary.map { "vary: \($0)\r\n" }
        } else if vary.count == 1 {
            lines.append("vary: \(vary[0]), Origin\r\n")
        } else {
            lines += vary.map { "vary: \($0)\r\n" } + ["vary: Origin\r\n"]
        }
        if let origin, !serviceAllowsOrigin {
            lines.append("access-control-allow-origin: \(origin)\r\n")
            lines.append("access-control-allow-credentials: true\r\n")
            lines.append("access-control-expose-headers: \(Self.exposedHeaders)\r\n")
        }
        return lines
    }
}
