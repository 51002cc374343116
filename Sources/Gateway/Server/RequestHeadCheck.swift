import Common
import NIOHTTP1

/// What RFC 9112 and our limits demand of a request head before anything else looks at it. A
/// request that fails here is the client's fault: a 4xx JSON answer, and the connection is closed
/// when its framing cannot be trusted any more.
enum RequestHeadCheck {
    /// How the body of an accepted request is framed.
    enum Body: Equatable {
        case none
        case length(Int)
        case chunked
    }

    static func body(of head: RequestHead, facts: RequestHeaderFacts, maxBodyBytes: Int) -> Result<Body, APIError> {
        if facts.hostCount > 1 || (head.version.minor == 1 && facts.hostCount == 0) || facts.host.map(Self.isValidHost) == false {
            return .failure(APIError(.badRequest, "A request needs exactly one valid Host header"))
        }
        if facts.accessTokenCount > 1 {
            return .failure(APIError(.badRequest, "Duplicate x-access-token header"))
        }
        if facts.authorizationCount > 1 {
            return .failure(APIError(.badRequest, "Duplicate authorization header"))
        }
        if facts.credential == .conflicting {
            return .failure(Self.conflictingTokens)
        }
        // Neither is proxied: what follows would not be HTTP/1.1 requests.
        if head.method == .CONNECT {
            return .failure(Self.connectRefused)
        }
        if facts.asksForUpgrade {
            return .failure(APIError(.badRequest, "Protocol upgrades are not supported"))
        }
        if let expectation = facts.expect, expectation.lowercased() != "100-continue" {
            return .failure(APIError(.expectationFailed, "Only Expect: 100-continue is supported"))
        }
        let codings = facts.transferCodings
        let lengths = facts.contentLengths
        if !codings.isEmpty {
            guard codings.count == 1, codings[0].trimmingOptionalWhitespace.lowercased() == "chunked", lengths.isEmpty else {
                return .failure(
                    APIError(.badRequest, "Unsupported transfer coding: only chunked is accepted")
                )
            }
            return .success(.chunked)
        }
        guard lengths.count <= 1 else {
            return .failure(APIError(.badRequest, "Conflicting Content-Length"))
        }
        guard let text = lengths.first else { return .success(.none) }
        let digits = text.trimmingOptionalWhitespace
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let length = Int(digits) else {
            return .failure(APIError(.badRequest, "Invalid Content-Length"))
        }
        guard length <= maxBodyBytes else {
            return .failure(.bodyTooLarge)
        }
        return .success(length == 0 ? .none : .length(length))
    }

    static let connectRefused = APIError(.badRequest, "CONNECT is not supported")
    static let conflictingTokens = APIError(.badRequest, "x-access-token and Authorization carry different tokens")

    /// `host[:port]` with nothing a URI authority cannot hold.
    static func isValidHost(_ value: String) -> Bool {
        !value.isEmpty && value.utf8.count <= 255
            && value.utf8.allSatisfy { byte in
                byte > 0x20 && byte < 0x7F && byte != 0x2F && byte != 0x3F && byte != 0x23 && byte != 0x40 && byte != 0x5C
            }
    }

    /// The path of the request target (origin-form `/path?query`, or absolute-form), without the query.
    static func path(of uri: String) -> Substring? {
        Self.path(ofOriginForm: Self.originForm(of: uri))
    }

    /// The path of a target already in origin-form (``originForm(of:)``), without the query.
    static func path(ofOriginForm target: Substring) -> Substring? {
        guard target.first == "/" else { return nil }
        if let query = target.firstIndex(of: "?") {
            return target[..<query]
        }
        return target
    }

    /// The target as a service is asked for it (RFC 9112 §3.2.1): an absolute-form target
    /// (`http://host/path?query`) becomes `/path?query`; origin-form stays as it is. A fragment is
    /// never part of a request target (RFC 9110 §7.1): it is cut, not sent.
    static func originForm(of uri: String) -> Substring {
        var target = Substring(uri)
        if let fragment = target.firstIndex(of: "#") { target = target[..<fragment] }
        guard target.hasPrefix("http://") || target.hasPrefix("https://"), let scheme = target.range(of: "://") else { return target }
        let authorityAndPath = target[scheme.upperBound...]
        guard let start = authorityAndPath.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return "/" }
        let rest = authorityAndPath[start...]
        return rest.first == "?" ? Substring("/" + rest) : rest
    }
}
