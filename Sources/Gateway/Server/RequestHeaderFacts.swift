import NIOHTTP1

/// The request headers the gateway decides on, gathered in one pass over the head instead of one
/// case-insensitive scan per question.
struct RequestHeaderFacts {
    var hosts: [String] = []
    var transferCodings: [String] = []
    var contentLengths: [String] = []
    var accessTokens: [String] = []
    var authorizations: [String] = []
    var connectionOptions: [String] = []
    var upgrade: String?
    var expect: String?
    var origin: String?
    var requestID: String?
    /// `Access-Control-Request-Method` is present: with `OPTIONS`, a CORS preflight.
    var asksForPreflight = false

    init(_ headers: HeaderFields) {
        for field in headers.fields {
            let name = headers.name(of: field)
            switch name.count {
            case 4 where name.equalsLowercaseASCII("host".utf8): self.hosts.append(headers.value(of: field))
            case 6 where name.equalsLowercaseASCII("expect".utf8): self.expect = self.expect ?? headers.value(of: field)
            case 6 where name.equalsLowercaseASCII("origin".utf8): self.origin = self.origin ?? headers.value(of: field)
            case 7 where name.equalsLowercaseASCII("upgrade".utf8): self.upgrade = self.upgrade ?? headers.value(of: field)
            case 10 where name.equalsLowercaseASCII("connection".utf8): self.connectionOptions.append(headers.value(of: field))
            case 12 where name.equalsLowercaseASCII("x-request-id".utf8): self.requestID = self.requestID ?? headers.value(of: field)
            case 13 where name.equalsLowercaseASCII("authorization".utf8): self.authorizations.append(headers.value(of: field))
            case 14 where name.equalsLowercaseASCII("content-length".utf8): self.contentLengths.append(headers.value(of: field))
            case 14 where name.equalsLowercaseASCII("x-access-token".utf8): self.accessTokens.append(headers.value(of: field))
            case 17 where name.equalsLowercaseASCII("transfer-encoding".utf8): self.transferCodings.append(headers.value(of: field))
            case 29 where name.equalsLowercaseASCII("access-control-request-method".utf8): self.asksForPreflight = true
            default: break
            }
        }
    }

    /// Whether the client keeps the connection open after this request (RFC 9112 §9.3): HTTP/1.1
    /// unless it says `close`, HTTP/1.0 only when it says `keep-alive`.
    func keepsAlive(version: HTTPVersion) -> Bool {
        let options = self.connectionOptions.flatMap { $0.split(separator: ",") }.map { $0.trimmingOptionalWhitespace }
        if options.contains(where: { $0.utf8.equalsLowercaseASCII("close".utf8) }) { return false }
        return version.minor >= 1 || options.contains { $0.utf8.equalsLowercaseASCII("keep-alive".utf8) }
    }

    /// The access token, read the same way from `x-access-token` (what the tutorial sends) and from
    /// `Authorization: Bearer`: the field value without the whitespace around it (RFC 9110 §5.5).
    var credential: RequestCredential {
        let direct = self.accessTokens.first.map { String($0.trimmingOptionalWhitespace) }.flatMap { $0.isEmpty ? nil : $0 }
        let bearer = self.authorizations.first.flatMap(Self.bearerToken)
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
