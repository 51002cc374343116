import NIOHTTP1

/// The request headers the gateway decides on, gathered in one pass over the head instead of one
/// case-insensitive scan per question.
struct RequestHeaderFacts {
    /// The first `Host`, and how many there were (only one is valid).
    var host: String?
    var hostCount = 0
    var transferCodings: [String] = []
    var contentLengths: [String] = []
    var accessTokenCount = 0
    var authorizationCount = 0
    var connectionOptions: [String] = []
    var upgrade: String?
    var expect: String?
    var origin: String?
    var contentType: String?
    var requestID: String?
    /// `Access-Control-Request-Method` is present: with `OPTIONS`, a CORS preflight.
    var asksForPreflight = false
    /// The access token, read the same way from `x-access-token` (what the tutorial sends) and from
    /// `Authorization: Bearer`: the field value without the whitespace around it (RFC 9110 §5.5).
    private(set) var credential = RequestCredential.none

    init(_ headers: HeaderFields) {
        var accessToken: String?
        var authorization: String?
        for field in headers.fields {
            switch field.name {
            case .host:
                self.hostCount += 1
                if self.host == nil { self.host = headers.value(of: field) }
            case .expect: self.expect = self.expect ?? headers.value(of: field)
            case .origin: self.origin = self.origin ?? headers.value(of: field)
            case .contentType: self.contentType = self.contentType ?? headers.value(of: field)
            case .upgrade: self.upgrade = self.upgrade ?? headers.value(of: field)
            case .connection: self.connectionOptions.append(headers.value(of: field))
            case .xRequestID: self.requestID = self.requestID ?? headers.value(of: field)
            case .authorization:
                self.authorizationCount += 1
                if authorization == nil { authorization = headers.value(of: field) }
            case .contentLength: self.contentLengths.append(headers.value(of: field))
            case .xAccessToken:
                self.accessTokenCount += 1
                if accessToken == nil { accessToken = headers.value(of: field) }
            case .transferEncoding: self.transferCodings.append(headers.value(of: field))
            case .accessControlRequestMethod: self.asksForPreflight = true
            default: break
            }
        }
        self.credential = Self.credential(accessToken: accessToken, authorization: authorization)
    }

    /// Whether the client keeps the connection open after this request (RFC 9112 §9.3): HTTP/1.1
    /// unless it says `close`, HTTP/1.0 only when it says `keep-alive`.
    func keepsAlive(version: HTTPVersion) -> Bool {
        let options = self.connectionOptions.flatMap { $0.split(separator: ",") }.map { $0.trimmingOptionalWhitespace }
        if options.contains(where: { $0.utf8.equalsLowercaseASCII("close".utf8) }) { return false }
        return version.minor >= 1 || options.contains { $0.utf8.equalsLowercaseASCII("keep-alive".utf8) }
    }

    private static func credential(accessToken: String?, authorization: String?) -> RequestCredential {
        // Field values come from the parser without the whitespace around them.
        let direct = accessToken.flatMap { $0.isEmpty ? nil : $0 }
        let bearer = authorization.flatMap(Self.bearerToken)
        switch (direct, bearer) {
        case (nil, nil): return .none
        case (let token?, nil), (nil, let token?): return .token(token)
        case (let direct?, let bearer?): return direct == bearer ? .token(direct) : .conflicting
        }
    }

    /// `Connection: upgrade` with an `Upgrade` header: the client asks to switch protocols.
    var asksForUpgrade: Bool {
        self.upgrade != nil && self.connectionOptions.contains { value in
            value.split(separator: ",").contains { $0.trimmingOptionalWhitespace.utf8.equalsLowercaseASCII("upgrade".utf8) }
        }
    }

    private static func bearerToken(_ authorization: String) -> String? {
        let value = authorization.trimmingOptionalWhitespace
        let parts = value.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].utf8.equalsLowercaseASCII("bearer".utf8) else { return nil }
        let token = parts[1].trimmingOptionalWhitespace
        return token.isEmpty ? nil : String(token)
    }
}

/// The access token of a request, as far as the gateway is concerned.
enum RequestCredential: Equatable {
    case none
    case token(String)
    /// `x-access-token` and `Authorization: Bearer` carry different tokens: refused, so no service
    /// can ever read a token other than the one the gateway checked.
    case conflicting

    var token: String? {
        if case .token(let token) = self { return token }
        return nil
    }
}

extension StringProtocol {
    /// Without the spaces and tabs around it (a field value's optional whitespace).
    var trimmingOptionalWhitespace: SubSequence {
        var text = self[...]
        while text.first == " " || text.first == "\t" { text = text.dropFirst() }
        while text.last == " " || text.last == "\t" { text = text.dropLast() }
        return text
    }
}
