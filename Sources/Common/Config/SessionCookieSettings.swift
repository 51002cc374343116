import Configuration

/// Sessions kept in HttpOnly cookies, as the gateway and the auth service both read them
/// (`SESSION_COOKIES` and the `SESSION_COOKIE_*` settings).
package struct SessionCookieSettings: Sendable, Equatable {
    package enum Mode: String, Sendable {
        /// No cookies: tokens travel in bodies and headers only (the tutorial's contract, byte for byte).
        case off
        /// Cookies as well as the tokens in the bodies; a request may authenticate either way.
        case on
        /// Cookies only: no token in any body, so none ever reaches page script.
        case only
    }

    package var mode: Mode
    /// `Secure` on both cookies; off only for plain-http local development.
    package var secure: Bool
    /// `Strict` (default), `Lax` or `None` (which needs `Secure`).
    package var sameSite: String
    package var accessName: String
    package var refreshName: String

    /// Where each cookie is sent: the access token to the API, the refresh token to the auth routes
    /// only (refresh and signout read it).
    package static let accessPath = "/api"
    package static let refreshPath = "/api/auth"

    package init(mode: Mode = .off, secure: Bool = true, sameSite: String = "Strict", accessName: String? = nil, refreshName: String? = nil) {
        self.mode = mode
        self.secure = secure
        self.sameSite = sameSite
        // `__Secure-` whenever `Secure` allows it (`__Host-` would need `Path=/`, which would send the
        // refresh token with every request).
        let prefix = secure ? "__Secure-" : ""
        self.accessName = accessName ?? prefix + "access-token"
        self.refreshName = refreshName ?? prefix + "refresh-token"
    }

    package init(config: ConfigReader) throws {
        let modeText = config.string(forKey: "session.cookies", default: "off").lowercased()
        guard let mode = Mode(rawValue: modeText) else {
            throw ConfigurationError(message: "SESSION_COOKIES must be off, on or only, not \(modeText)")
        }
        let secureText = config.string(forKey: "session.cookie.secure", default: "true").lowercased()
        guard secureText == "true" || secureText == "false" else {
            throw ConfigurationError(message: "SESSION_COOKIE_SECURE must be true or false")
        }
        let sameSite = config.string(forKey: "session.cookie.samesite", default: "Strict").capitalized
        guard ["Strict", "Lax", "None"].contains(sameSite) else {
            throw ConfigurationError(message: "SESSION_COOKIE_SAMESITE must be Strict, Lax or None")
        }
        guard sameSite != "None" || secureText == "true" else {
            throw ConfigurationError(message: "SESSION_COOKIE_SAMESITE=None needs SESSION_COOKIE_SECURE=true (browsers refuse it otherwise)")
        }
        let accessName = config.string(forKey: "session.cookie.access.name")
        let refreshName = config.string(forKey: "session.cookie.refresh.name")
        for name in [accessName, refreshName].compactMap({ $0 }) {
            guard !name.isEmpty, name.utf8.allSatisfy(Self.isCookieNameByte) else {
                throw ConfigurationError(message: "a session cookie name must be a token (RFC 6265), not \(name)")
            }
        }
        self.init(mode: mode, secure: secureText == "true", sameSite: sameSite, accessName: accessName, refreshName: refreshName)
    }

    package var enabled: Bool { self.mode != .off }

    /// `Set-Cookie` for the access token, living as long as the token.
    package func accessCookie(_ token: String, maxAge: Int) -> String {
        self.cookie(self.accessName, token, path: Self.accessPath, maxAge: maxAge)
    }

    /// `Set-Cookie` for the refresh token, living as long as the session may.
    package func refreshCookie(_ token: String, maxAge: Int) -> String {
        self.cookie(self.refreshName, token, path: Self.refreshPath, maxAge: maxAge)
    }

    /// The two `Set-Cookie` values that make a browser forget the session.
    package var clearingCookies: [String] {
        [self.cookie(self.accessName, "", path: Self.accessPath, maxAge: 0), self.cookie(self.refreshName, "", path: Self.refreshPath, maxAge: 0)]
    }

    private func cookie(_ name: String, _ value: String, path: String, maxAge: Int) -> String {
        "\(name)=\(value); Path=\(path); Max-Age=\(max(0, maxAge)); HttpOnly; SameSite=\(self.sameSite)" + (self.secure ? "; Secure" : "")
    }

    /// RFC 6265 §4.1.1 cookie-name: a token.
    private static func isCookieNameByte(_ byte: UInt8) -> Bool {
        byte > 0x20 && byte < 0x7F && !Array("()<>@,;:\\\"/[]?={}".utf8).contains(byte)
    }
}
