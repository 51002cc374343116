import NIOHTTP1

/// The request headers the gateway decides on, gathered in one pass over the head instead of one
/// case-insensitive scan per question.
struct RequestHeaderFacts {
    var hosts: [String] = []
    var transferCodings: [String] = []
    var contentLengths: [String] = []
    var accessTokens: [String] = []
    var authorizations: [String] = []
    var expect: String?
    var origin: String?
    var requestID: String?

    init(_ headers: HTTPHeaders) {
        for (name, value) in headers {
            switch name.utf8.count {
            case 4 where name.equalsLowercaseASCII("host"): self.hosts.append(value)
            case 6 where name.equalsLowercaseASCII("expect"): self.expect = self.expect ?? value
            case 6 where name.equalsLowercaseASCII("origin"): self.origin = self.origin ?? value
            case 12 where name.equalsLowercaseASCII("x-request-id"): self.requestID = self.requestID ?? value
            case 13 where name.equalsLowercaseASCII("authorization"): self.authorizations.append(value)
            case 14 where name.equalsLowercaseASCII("content-length"): self.contentLengths.append(value)
            case 14 where name.equalsLowercaseASCII("x-access-token"): self.accessTokens.append(value)
            case 17 where name.equalsLowercaseASCII("transfer-encoding"): self.transferCodings.append(value)
            default: break
            }
        }
    }

    /// The access token from `x-access-token` (what the tutorial reads) or `Authorization: Bearer`.
    var accessToken: String? {
        if let token = self.accessTokens.first, !token.isEmpty {
            return token
        }
        guard let authorization = self.authorizations.first else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].count == 6, String(parts[0]).equalsLowercaseASCII("bearer") else { return nil }
        var token = parts[1]
        while token.first == " " || token.first == "\t" { token = token.dropFirst() }
        while token.last == " " || token.last == "\t" { token = token.dropLast() }
        return token.isEmpty ? nil : String(token)
    }
}
