import Foundation
import NIOCore
import NIOHTTP1

/// CORS with an exact allow-list (Hummingbird's `CORSMiddleware` allows one origin or all): an
/// allowed origin is echoed with credentials allowed, any other origin gets no
/// `Access-Control-Allow-Origin`. `Vary: Origin` is added to whatever `Vary` the service sent.
struct CORSPolicy: Sendable {
    static let allowedMethods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
    static let allowedHeaders = "x-access-token, authorization, content-type, x-request-id"
    static let exposedHeaders: StaticString = "x-request-id, retry-after"

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

    /// Writes the CORS field lines of an actual (non-preflight) answer. `Vary: Origin` joins the
    /// `Vary` lines the answer had (given in `vary`, and written here), unless one of them already names
    /// Origin; the allow fields are added for an allowed origin unless the answer has its own.
    func writeFields(vary: [String], serviceAllowsOrigin: Bool, origin: String?, into out: inout ByteBuffer) {
        if vary.isEmpty {
            out.writeStaticString("vary: Origin\r\n")
        } else {
            let varies = vary.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            let namesOrigin = varies.contains("origin") || varies.contains("*")
            for (index, line) in vary.enumerated() {
                out.writeStaticString("vary: ")
                out.writeString(line)
                if !namesOrigin, vary.count == 1, index == 0 { out.writeStaticString(", Origin") }
                out.writeStaticString("\r\n")
            }
            if !namesOrigin, vary.count > 1 { out.writeStaticString("vary: Origin\r\n") }
        }
        if let origin, !serviceAllowsOrigin {
            out.writeStaticString("access-control-allow-origin: ")
            out.writeString(origin)
            out.writeStaticString("\r\naccess-control-allow-credentials: true\r\naccess-control-expose-headers: ")
            out.writeStaticString(Self.exposedHeaders)
            out.writeStaticString("\r\n")
        }
    }
}
