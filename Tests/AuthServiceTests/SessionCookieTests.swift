@testable import AuthService
import Common
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// One `Set-Cookie` field taken apart: name, value and attributes as written.
struct SetCookie: Equatable {
    var name: String
    var value: String
    var attributes: [String]

    init?(_ field: String) {
        let parts = field.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = parts.first, let equals = first.firstIndex(of: "=") else { return nil }
        self.name = String(first[..<equals])
        self.value = String(first[first.index(after: equals)...])
        self.attributes = Array(parts.dropFirst())
    }

    /// The value of an attribute such as `Max-Age`, or `nil`.
    func attribute(_ name: String) -> String? {
        self.attributes.first { $0.lowercased().hasPrefix(name.lowercased() + "=") }.map { String($0.split(separator: "=", maxSplits: 1)[1]) }
    }
}

extension Reply {
    /// The `Set-Cookie` fields of the answer, by cookie name.
    var cookies: [String: SetCookie] {
        Dictionary(self.headers[values: .setCookie].compactMap(SetCookie.init).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    var setCookieCount: Int { self.headers[values: .setCookie].count }
}

@Suite("Session cookies: signin, refresh and a password change set them, refresh and signout read the refresh cookie")
struct SessionCookieTests {
    /// A fixture with `SESSION_COOKIES` in `mode`, `Secure` unless told otherwise.
    static func fixture(_ mode: SessionCookieSettings.Mode, secure: Bool = true) throws -> AuthFixture {
        var fixture = try AuthFixture()
        fixture.sessionCookies = SessionCookieSettings(mode: mode, secure: secure)
        return fixture
    }

    /// What the gateway writes to refresh and signout: a `cookie` field with the refresh cookie only.
    static func refreshCookie(_ token: String, name: String = "__Secure-refresh-token") -> HTTPFields {
        [.cookie: "\(name)=\(token)"]
    }

    @Test("off: signin, refresh and signout answer exactly as without the feature, with no Set-Cookie")
    func offChangesNothing() async throws {
        let fixture = try Self.fixture(.off)
        try await fixture.addUser("alice")
        try await fixture.application().test(.router) { client in
            let signin = try await client.signin("alice")
            #expect(signin.status == .ok && signin.setCookieCount == 0)
            let body = try JSONDecoder().decode(SigninBody.self, from: Data(signin.text.utf8))
            #expect(Set(signin.json.keys) == ["id", "username", "email", "roles", "accessToken", "refreshToken"])
            let refresh = try await client.refresh(body.refreshToken)
            #expect(refresh.setCookieCount == 0 && Set(refresh.json.keys) == ["accessToken", "refreshToken"])
            // A refresh cookie means nothing when cookies are off.
            let cookieOnly = try await client.post("/api/auth/refreshtoken", json: "{}", headers: Self.refreshCookie(body.refreshToken))
            #expect(cookieOnly.status == .forbidden && cookieOnly.message == "Refresh Token is required!")
            let signout = try await client.post("/api/auth/signout", json: "", headers: Self.refreshCookie(body.refreshToken))
            #expect(signout.status == .forbidden && signout.message == "No token provided!")
        }
    }

    @Test("on: signin keeps its body and sets an HttpOnly access cookie for /api and a refresh cookie for /api/auth")
    func onSetsCookies() async throws {
        let fixture = try Self.fixture(.on)
        try await fixture.addUser("alice")
        try await fixture.application().test(.router) { client in
            let signin = try await client.signin("alice")
            let body = try JSONDecoder().decode(SigninBody.self, from: Data(signin.text.utf8))
            #expect(signin.setCookieCount == 2)
            let access = try #require(signin.cookies["__Secure-access-token"])
            let refresh = try #require(signin.cookies["__Secure-refresh-token"])
            #expect(access.value == body.accessToken && refresh.value == body.refreshToken)
            // The access cookie outlives its token, so that an expired token gets 401 "expired" (a refresh), not 403.
            #expect(access.attributes == ["Path=/api", "Max-Age=\(AuthFixture.policy.absoluteLifetime)", "HttpOnly", "SameSite=Strict", "Secure"])
            #expect(refresh.attributes == ["Path=/api/auth", "Max-Age=\(AuthFixture.policy.absoluteLifetime)", "HttpOnly", "SameSite=Strict", "Secure"])
        }
    }

    @Test("only: signin's body keeps id, username, email and roles and carries no token; the cookies carry them")
    func onlySignin() async throws {
        let fixture = try Self.fixture(.only, secure: false)
        let id = try await fixture.addUser("alice")
        try await fixture.application().test(.router) { client in
            let signin = try await client.signin("alice")
            #expect(signin.status == .ok)
            #expect(Set(signin.json.keys) == ["id", "username", "email", "roles"], "\(signin.text)")
            #expect(signin.json["id"] as? Int == id && signin.json["username"] as? String == "alice")
            #expect(signin.json["email"] as? String == "alice@example.com" && signin.json["roles"] as? [String] == ["ROLE_USER"])
            let access = try #require(signin.cookies["access-token"])
            let refresh = try #require(signin.cookies["refresh-token"])
            #expect(!access.attributes.contains("Secure") && access.attributes.contains("HttpOnly"))
            let claims = try await fixture.verifier().verify(access.value)
            #expect(claims.id == id)
            #expect(refresh.attribute("Path") == "/api/auth")
        }
    }

    @Test("only: a refresh with no refreshToken in the body rotates the refresh cookie, answers a message and sets both cookies anew")
    func onlyRefreshFromCookie() async throws {
        let fixture = try Self.fixture(.only)
        try await fixture.addUser("alice")
        try await fixture.application().test(.router) { client in
            let signin = try await client.signin("alice")
            let first = try #require(signin.cookies["__Secure-refresh-token"]).value
            let firstAccess = try #require(signin.cookies["__Secure-access-token"]).value
            fixture.clock.advance(by: 100)
            let reply = try await client.post("/api/auth/refreshtoken", json: "{}", headers: Self.refreshCookie(first))
            #expect(reply.status == .ok)
            #expect(reply.text == #"{"message":"Token is refreshed successfully!"}"#)
            let next = try #require(reply.cookies["__Secure-refresh-token"])
            let access = try #require(reply.cookies["__Secure-access-token"])
            #expect(next.value != first)
            #expect(next.attribute("Max-Age") == String(AuthFixture.policy.absoluteLifetime - 100), "the session's remaining life")
            #expect(access.attribute("Max-Age") == String(AuthFixture.policy.absoluteLifetime - 100))
            let verifier = try await fixture.verifier()
            let sessionBefore = try await verifier.verify(firstAccess).sid
            #expect(try await verifier.verify(access.value).sid == sessionBefore)

            // Reuse detection as with body tokens: past the grace window, the spent token ends the session.
            fixture.clock.advance(by: 60)
            #expect(try await client.post("/api/auth/refreshtoken", json: "{}", headers: Self.refreshCookie(next.value)).status == .ok)
            fixture.clock.advance(by: 60)
            let reused = try await client.post("/api/auth/refreshtoken", json: "{}", headers: Self.refreshCookie(first))
            #expect(reused.status == .forbidden && reused.setCookieCount == 0)
            #expect(reused.message == "Refresh token was already used: the session has been revoked. Please make a new signin request")
        }
    }

    @Test("a body refreshToken wins over the cookie; with neither, 403 Refresh Token is required!")
    func bodyWinsOverCookie() async throws {
        let fixture = try Self.fixture(.on)
        try await fixture.addUser("alice")
        try await fixture.application().test(.router) { client in
            let one = try await client.signedIn("alice")
            let two = try await client.signedIn("alice")
            let reply = try await client.post(
                "/api/auth/refreshtoken", json: #"{"refreshToken":"\#(one.refreshToken)"}"#, headers: Self.refreshCookie(two.refreshToken)
            )
            #expect(reply.status == .ok)
            let verifier = try await fixture.verifier()
            let issued = try await verifier.verify(try #require(reply.json["accessToken"] as? String))
            let expected = try await verifier.verify(one.accessToken).sid
            #expect(issued.sid == expected)
            let none = try await client.post("/api/auth/refreshtoken", json: "{}")
            #expect(none.status == .forbidden && none.message == "Refresh Token is required!")
        }
    }

    @Test("only: a password change answers its message without tokens and hands the new pair over in cookies")
    func onlyPasswordChange() async throws {
        let fixture = try Self.fixture(.only)
        try await fixture.addUser("alice")
        try await fixture.application().test(.router) { client in
            let signin = try await client.signin("alice")
            let access = try #require(signin.cookies["__Secure-access-token"]).value
            let reply = try await client.call(
                .post, "/api/auth/password", token: access, json: #"{"currentPassword":"correct-horse","newPassword":"battery-staple"}"#
            )
            #expect(reply.status == .ok)
            #expect(reply.text == #"{"message":"Password changed"}"#)
            let newAccess = try #require(reply.cookies["__Secure-access-token"]).value
            let newRefresh = try #require(reply.cookies["__Secure-refresh-token"]).value
            fixture.clock.advance(by: 1)
            #expect(try await client.call(.get, "/api/auth/me", token: newAccess).status == .ok)
            #expect(try await client.post("/api/auth/refreshtoken", json: "{}", headers: Self.refreshCookie(newRefresh)).status == .ok)
        }
    }

    @Test("cookie signout without an access token ends the session the refresh cookie names and clears both cookies")
    func signoutByRefreshCookie() async throws {
        let fixture = try Self.fixture(.only)
        try await fixture.addUser("alice")
        try await fixture.application().test(.router) { client in
            let signin = try await client.signin("alice")
            let refresh = try #require(signin.cookies["__Secure-refresh-token"]).value
            let other = try #require(try await client.signin("alice").cookies["__Secure-refresh-token"]).value
            let reply = try await client.post("/api/auth/signout", json: "", headers: Self.refreshCookie(refresh))
            #expect(reply.status == .ok && reply.text == #"{"message":"You've been signed out!"}"#)
            Self.expectCleared(reply)
            let after = try await client.post("/api/auth/refreshtoken", json: "{}", headers: Self.refreshCookie(refresh))
            #expect(after.status == .forbidden && after.message == "Refresh token was revoked. Please make a new signin request")
            #expect(try await client.post("/api/auth/refreshtoken", json: "{}", headers: Self.refreshCookie(other)).status == .ok, "another session ended")
            let events = await fixture.audit.all.filter { $0.type == .signout }
            #expect(events.count == 1)
        }
    }

    @Test("cookie signout with nothing left to end still answers 200 and clears both cookies", arguments: [nil, "garbage", "stale"])
    func signoutWithNothingToEnd(cookie: String?) async throws {
        let fixture = try Self.fixture(.only)
        try await fixture.addUser("alice")
        try await fixture.application().test(.router) { client in
            var headers: HTTPFields = [:]
            if cookie == "stale" {
                let refresh = try #require(try await client.signin("alice").cookies["__Secure-refresh-token"]).value
                #expect(try await client.post("/api/auth/signout", json: "", headers: Self.refreshCookie(refresh)).status == .ok)
                headers = Self.refreshCookie(refresh)
            } else if let cookie {
                headers = Self.refreshCookie(cookie)
            }
            let reply = try await client.post("/api/auth/signout", json: "", headers: headers)
            #expect(reply.status == .ok && reply.text == #"{"message":"You've been signed out!"}"#)
            Self.expectCleared(reply)
        }
    }

    @Test("cookie signout with a valid access token ends its session as before, and clears the cookies")
    func signoutWithAccessToken() async throws {
        let fixture = try Self.fixture(.on)
        try await fixture.addUser("alice")
        try await fixture.application().test(.router) { client in
            let alice = try await client.signedIn("alice")
            let reply = try await client.call(.post, "/api/auth/signout", token: alice.accessToken)
            #expect(reply.status == .ok)
            Self.expectCleared(reply)
            let claims = try await fixture.verifier().verify(alice.accessToken)
            #expect(await fixture.sessions.revokedAccessTokens.contains(claims.jti))
            #expect(try await client.refresh(alice.refreshToken).status == .forbidden)
            // A revoked token alone is still refused, as on every signed-in route.
            #expect(try await client.call(.post, "/api/auth/signout", token: alice.accessToken).status == .unauthorized)
        }
    }

    @Test("cookie names and SameSite follow the settings")
    func configuredNames() async throws {
        var fixture = try AuthFixture()
        fixture.sessionCookies = SessionCookieSettings(mode: .only, secure: true, sameSite: "Lax", accessName: "at", refreshName: "rt")
        try await fixture.addUser("alice")
        try await fixture.application().test(.router) { client in
            let signin = try await client.signin("alice")
            let refresh = try #require(signin.cookies["rt"])
            #expect(try #require(signin.cookies["at"]).attribute("SameSite") == "Lax")
            let reply = try await client.post("/api/auth/refreshtoken", json: "{}", headers: Self.refreshCookie(refresh.value, name: "rt"))
            #expect(reply.status == .ok)
            let wrongName = try await client.post("/api/auth/refreshtoken", json: "{}", headers: Self.refreshCookie(refresh.value))
            #expect(wrongName.message == "Refresh Token is required!")
        }
    }

    /// Both cookies cleared: empty values, `Max-Age=0`, the paths they were set with.
    static func expectCleared(_ reply: Reply, sourceLocation: SourceLocation = #_sourceLocation) {
        let cookies = reply.cookies
        let access = cookies["__Secure-access-token"]
        let refresh = cookies["__Secure-refresh-token"]
        #expect(access?.value == "" && access?.attribute("Max-Age") == "0" && access?.attribute("Path") == "/api", sourceLocation: sourceLocation)
        #expect(refresh?.value == "" && refresh?.attribute("Max-Age") == "0" && refresh?.attribute("Path") == "/api/auth", sourceLocation: sourceLocation)
        #expect(access?.attributes.contains("HttpOnly") == true && refresh?.attributes.contains("Secure") == true, sourceLocation: sourceLocation)
    }
}
