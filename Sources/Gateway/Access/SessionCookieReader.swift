import Common
import NIOCore

/// The session cookies a request carries (`SESSION_COOKIES` on or only): the access token, and the
/// refresh token that refresh and signout read. Read from every `Cookie` field (RFC 6265 §5.4); the
/// session cookies must each appear once and hold a token's characters only, else the request is
/// refused: a cookie jar that says two things, or a value with something else in it, is not guessed at.
struct SessionCookies: Equatable {
    var access: String?
    var refresh: String?

    var present: Bool { self.access != nil || self.refresh != nil }

    static let duplicate = APIError(.badRequest, "Duplicate session cookie")
    static let malformed = APIError(.badRequest, "Malformed session cookie")

    static func read(_ headers: HeaderFields, settings: SessionCookieSettings) -> Result<SessionCookies, APIError> {
        var cookies = SessionCookies()
        let accessName = Array(settings.accessName.utf8)
        let refreshName = Array(settings.refreshName.utf8)
        for field in headers.fields where field.name == .cookie {
            for pair in headers.valueBytes(of: field).split(separator: UInt8(ascii: ";")) {
                let pair = pair.trimmingOptionalWhitespaceBytes
                guard let equals = pair.firstIndex(of: UInt8(ascii: "=")) else { continue }
                let name = pair[..<equals]
                let isAccess = name.elementsEqual(accessName)
                guard isAccess || name.elementsEqual(refreshName) else { continue }
                let value = pair[pair.index(after: equals)...]
                guard !value.isEmpty, value.count <= AccessTokenRules.maximumTokenLength, value.allSatisfy(Self.isTokenByte) else {
                    return .failure(Self.malformed)
                }
                let text = String(decoding: value, as: UTF8.self)
                if isAccess {
                    guard cookies.access == nil else { return .failure(Self.duplicate) }
                    cookies.access = text
                } else {
                    guard cookies.refresh == nil else { return .failure(Self.duplicate) }
                    cookies.refresh = text
                }
            }
        }
        return .success(cookies)
    }

    /// What the tokens are spelled with: base64url and the dots between a JWT's parts.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
            true
        default:
            false
        }
    }
}

/// The CSRF rule for requests a cookie authenticates: a browser sends cookies with a cross-site
/// request too, so an unsafe one is taken only from an origin the gateway trusts (its own, or one of
/// `CORS_ALLOWED_ORIGINS`) and with a JSON body type, which a cross-site form cannot send and a
/// cross-site script cannot send without a preflight the gateway refuses. Angular's XSRF header never
/// arrives (its apps call absolute URLs), so the rule does without one.
enum CrossSiteRule {
    static let refused = APIError(.forbidden, "Cross-site request refused")

    static func allows(method: String, origin: String?, contentType: String?, host: String?, cors: CORSPolicy) -> Bool {
        guard !["GET", "HEAD", "OPTIONS"].contains(method) else { return true }
        guard let origin, cors.allowedOrigin(origin) != nil || Self.isOwn(origin, host: host) else { return false }
        guard let contentType else { return false }
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingOptionalWhitespace.lowercased() } ?? ""
        return mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json"))
    }

    /// The gateway's own origin: the one a page it served itself sends (`http(s)://` and its `Host`).
    private static func isOwn(_ origin: String, host: String?) -> Bool {
        guard let host else { return false }
        return origin == "http://" + host || origin == "https://" + host
    }
}
