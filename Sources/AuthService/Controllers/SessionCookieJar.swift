import Common
import Foundation
import HTTPTypes
import Hummingbird

/// What the routes that hand out or end a session do with the session cookies (`SESSION_COOKIES`):
/// the `Set-Cookie` fields that carry a pair or make the browser forget it, and the refresh token
/// the gateway forwards in a `cookie` field of its own (it never forwards a client's).
struct SessionCookieJar: Sendable {
    let settings: SessionCookieSettings
    let sessions: any SessionStore
    /// How long an access token lives: the cookies' life when the session's end is unknown.
    let accessTokenTTL: Int
    let clock: any WallClock

    var enabled: Bool { self.settings.enabled }

    /// Whether answers still carry the tokens in their bodies: not in `only` mode, where no token may
    /// reach page script.
    var tokensInBodies: Bool { self.settings.mode != .only }

    /// The two cookies of a pair of session `sessionID`; no field when cookies are off. Both live as
    /// long as the session may (a refresh does not extend a session's end).
    ///
    /// The access cookie outlives its token on purpose: a browser drops a cookie at its `Max-Age`, and a
    /// request without it is answered 403 "No token provided!", on which no client refreshes. Kept, the
    /// expired token is answered 401 "expired", on which the cookie editions refresh (or sign out) as
    /// they were written to. An expired token grants nothing, so keeping it longer costs nothing.
    func setting(accessToken: String, refreshToken: String, sessionID: String) async throws -> HTTPFields {
        guard self.enabled else { return [:] }
        let now = Int(self.clock.now())
        // A session the store no longer knows ended a moment ago: cookies that die with the access token.
        let end = try await self.sessions.endOfSession(sessionID) ?? now + self.accessTokenTTL
        var fields = HTTPFields()
        fields.append(HTTPField(name: .setCookie, value: self.settings.accessCookie(accessToken, maxAge: end - now)))
        fields.append(HTTPField(name: .setCookie, value: self.settings.refreshCookie(refreshToken, maxAge: end - now)))
        return fields
    }

    /// The fields that clear both cookies (same names, paths and attributes, `Max-Age=0`); none when off.
    var clearing: HTTPFields {
        guard self.enabled else { return [:] }
        var fields = HTTPFields()
        for cookie in self.settings.clearingCookies {
            fields.append(HTTPField(name: .setCookie, value: cookie))
        }
        return fields
    }

    /// The refresh token in the `cookie` field the gateway writes for refresh and signout; `nil` when
    /// cookies are off or there is none.
    func refreshToken(in request: Request) -> String? {
        guard self.enabled else { return nil }
        for field in request.headers[values: .cookie] {
            for pair in field.split(separator: ";") {
                let pair = pair.trimmingCharacters(in: .whitespaces)
                guard let equals = pair.firstIndex(of: "="), pair[..<equals] == self.settings.refreshName else { continue }
                let value = String(pair[pair.index(after: equals)...])
                return value.isEmpty ? nil : value
            }
        }
        return nil
    }
}
