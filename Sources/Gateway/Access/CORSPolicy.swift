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

    /// The request's origin when it is allowed.
    func allowedOrigin(of request: HTTPRequestHead) -> String? {
        self.allowedOrigin(request.headers.first(name: "origin"))
    }

    /// `origin` (the request's `Origin` header) when it is allowed.
    func allowedOrigin(_ origin: String?) -> String? {
        guard let origin, self.allowedOrigins.contains(origin) else { return nil }
        return origin
    }

    /// A browser's preflight: `OPTIONS` with `Access-Control-Request-Method`.
    static func isPreflight(_ request: HTTPRequestHead) -> Bool {
        request.method == .OPTIONS && request.headers.contains(name: "access-control-request-method")
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

    /// Adds the CORS headers of an actual (non-preflight) response. `Vary: Origin` joins whatever
    /// `Vary` lines the service sent, unless one of them already names Origin.
    func decorate(_ headers: inout HTTPHeaders, origin: String?) {
        let lines = headers["vary"]
        let varies = lines.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if !varies.contains("origin"), !varies.contains("*") {
            if lines.count == 1 {
                headers.replaceOrAdd(name: "vary", value: lines[0] + ", Origin")
            } else {
                headers.add(name: "vary", value: "Origin")
            }
        }
        if let origin, !headers.contains(name: "access-control-allow-origin") {
            headers.add(name: "access-control-allow-origin", value: origin)
            headers.add(name: "access-control-allow-credentials", value: "true")
            headers.add(name: "access-control-expose-headers", value: Self.exposedHeaders)
        }
    }
}
