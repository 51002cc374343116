import Foundation

/// Which headers stop at the gateway: decided on the name each field was recognised as when its head
/// was parsed (``FieldName``), so a decision is a comparison of small integers.
enum HeaderFilter {
    /// Connection-level headers (RFC 9110 §7.6.1), framing and the credentials (the access token, and
    /// the cookies that may carry a session: the gateway writes what it checked), `Host` (set for the
    /// service), the request id (set by us), and identity a client could claim in a header: no service
    /// trusts them, and we do not forward them. Nor any `X-Forwarded-*`: we set those.
    static func dropsFromRequests(_ name: FieldName) -> Bool {
        switch name {
        case .connection, .keepAlive, .proxyConnection, .transferEncoding, .te, .trailer, .upgrade, .proxyAuthenticate,
            .proxyAuthorization, .host, .expect, .forwarded, .xRequestID, .contentLength, .xAccessToken, .authorization, .cookie, .xUserID,
            .xUserRoles, .xUser, .xAuthenticatedUser, .xAuthenticatedUserID, .xForwardedUser, .xRemoteUser, .remoteUser, .xAuthUser,
            .xConsumerID, .xConsumerUsername, .xForwardedFor, .xForwardedOther:
            true
        // The trace fields pass when the gateway does not trace (``RequestTrace`` writes its own when it does).
        case .other, .accept, .contentEncoding, .contentType, .origin, .server, .vary, .accessControlAllowOrigin,
            .accessControlRequestMethod, .revocationPosition, .traceparent, .tracestate:
            false
        }
    }

    /// A header a client's `Connection` option cannot remove: how the body reads. Everything else the
    /// gateway looked at (framing, token, `Host`) it writes itself, whatever `Connection` says.
    static func outlivesConnectionOption(_ name: FieldName) -> Bool {
        name == .contentType || name == .contentEncoding
    }

    /// Connection-level headers, and `Server`, which says nothing a client needs.
    static func dropsFromResponses(_ name: FieldName) -> Bool {
        switch name {
        case .connection, .keepAlive, .proxyConnection, .transferEncoding, .te, .trailer, .upgrade, .proxyAuthenticate, .server,
            .xRequestID:
            true
        default:
            false
        }
    }

    /// Header names listed in `Connection` (hop-by-hop by declaration). Nearly always none: then
    /// nothing is allocated.
    static func connectionTokens(_ headers: HeaderFields) -> HeaderNameSet {
        Self.connectionTokens(headers.values(.connection))
    }

    static func connectionTokens(_ values: [String]) -> HeaderNameSet {
        var tokens: [String] = []
        for value in values {
            for token in value.split(separator: ",") {
                let name = token.trimmingCharacters(in: .whitespaces).lowercased()
                if name != "close", name != "keep-alive", !name.isEmpty { tokens.append(name) }
            }
        }
        return HeaderNameSet(tokens)
    }
}

/// Lower-case header names, looked up ignoring ASCII case without allocating: by length first, so
/// most names are told apart by one comparison of integers.
struct HeaderNameSet: Sendable {
    private let byLength: [[[UInt8]]]

    init(_ names: [String]) {
        guard let longest = names.map(\.utf8.count).max() else {
            self.byLength = []  // no allocation for the usual empty set
            return
        }
        var byLength = [[[UInt8]]](repeating: [], count: longest + 1)
        for name in names {
            precondition(name == name.lowercased(), "header names are listed in lower case")
            byLength[name.utf8.count].append(Array(name.utf8))
        }
        self.byLength = byLength
    }

    var isEmpty: Bool { self.byLength.isEmpty }

    func contains(_ name: String) -> Bool {
        self.contains(name.utf8)
    }

    func contains(_ name: some Collection<UInt8>) -> Bool {
        let length = name.count
        guard length < self.byLength.count else { return false }
        return self.byLength[length].contains { name.equalsLowercaseASCII($0) }
    }
}

extension String {
    /// Equal to `lowercase` (lower-case ASCII) ignoring ASCII case, without allocating.
    func equalsLowercaseASCII(_ lowercase: StaticString) -> Bool {
        lowercase.withUTF8Buffer { self.utf8.equalsLowercaseASCII($0) }
    }
}


extension Sequence<UInt8> {
    /// These bytes, ASCII letters folded to lower case, are `lowercase`.
    func equalsLowercaseASCII(_ lowercase: some Collection<UInt8>) -> Bool {
        var expected = lowercase.makeIterator()
        for byte in self {
            let folded = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
            guard folded == expected.next() else { return false }
        }
        return expected.next() == nil
    }
}
