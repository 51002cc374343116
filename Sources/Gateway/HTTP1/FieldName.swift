import Common

/// The field names the gateway decides on, recognised once per field as a head is parsed (ignoring
/// ASCII case), so that every later decision about a field is a comparison of small integers.
enum FieldName: UInt8 {
    case other
    case accept, authorization, connection, cookie, contentEncoding, contentLength, contentType, expect, forwarded, host, keepAlive
    case origin, proxyAuthenticate, proxyAuthorization, proxyConnection, remoteUser, server, te, trailer, transferEncoding, upgrade
    case vary, xAccessToken, xAuthUser, xAuthenticatedUser, xAuthenticatedUserID, xConsumerID, xConsumerUsername, xForwardedFor
    case xForwardedUser, xRemoteUser, xRequestID, xUser, xUserID, xUserRoles
    case accessControlAllowOrigin, accessControlRequestMethod, revocationPosition, traceparent, tracestate
    /// Any other `X-Forwarded-*`.
    case xForwardedOther

    /// The name of the field whose name is `bytes`.
    init(_ bytes: UnsafeRawBufferPointer) {
        self = Self.candidates[bytes.count < Self.candidates.count ? bytes.count : 0].first { Self.equal(bytes, $0.spelling) }?.name
            ?? (Self.equal(bytes.prefix(12), "x-forwarded-".utf8) ? .xForwardedOther : .other)
    }

    /// Every name, by its length, with its lower-case spelling.
    private static let candidates: [[(spelling: [UInt8], name: FieldName)]] = {
        let names: [(String, FieldName)] = [
            ("accept", .accept), ("authorization", .authorization), ("connection", .connection), ("cookie", .cookie), ("content-encoding", .contentEncoding),
            ("content-length", .contentLength), ("content-type", .contentType), ("expect", .expect), ("forwarded", .forwarded),
            ("host", .host), ("keep-alive", .keepAlive), ("origin", .origin), ("proxy-authenticate", .proxyAuthenticate),
            ("proxy-authorization", .proxyAuthorization), ("proxy-connection", .proxyConnection), ("remote-user", .remoteUser),
            ("server", .server), ("te", .te), ("trailer", .trailer), ("transfer-encoding", .transferEncoding), ("upgrade", .upgrade),
            ("vary", .vary), ("x-access-token", .xAccessToken), ("x-auth-user", .xAuthUser), ("x-authenticated-user", .xAuthenticatedUser),
            ("x-authenticated-userid", .xAuthenticatedUserID), ("x-consumer-id", .xConsumerID), ("x-consumer-username", .xConsumerUsername),
            ("x-forwarded-for", .xForwardedFor), ("x-forwarded-user", .xForwardedUser), ("x-remote-user", .xRemoteUser),
            ("x-request-id", .xRequestID), ("x-user", .xUser), ("x-user-id", .xUserID), ("x-user-roles", .xUserRoles),
            ("access-control-allow-origin", .accessControlAllowOrigin), ("access-control-request-method", .accessControlRequestMethod),
            (RevocationStream.positionHeader, .revocationPosition), ("traceparent", .traceparent), ("tracestate", .tracestate),
        ]
        var byLength = [[(spelling: [UInt8], name: FieldName)]](repeating: [], count: 32)
        for (spelling, name) in names {
            byLength[spelling.utf8.count].append((Array(spelling.utf8), name))
        }
        return byLength
    }()

    /// `bytes`, ASCII letters folded to lower case, are `lowercase`.
    private static func equal(_ bytes: some Collection<UInt8>, _ lowercase: some Collection<UInt8>) -> Bool {
        bytes.equalsLowercaseASCII(lowercase)
    }
}
