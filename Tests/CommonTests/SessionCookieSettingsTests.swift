import Common
import Configuration
import Testing

@Suite("Session cookie settings: the attributes every cookie carries, and the settings that cannot work refused")
struct SessionCookieSettingsTests {
    private func settings(_ environment: [String: String]) async throws -> SessionCookieSettings {
        try SessionCookieSettings(config: try await ConfigReader.fromEnvironment(environment))
    }

    @Test("off by default; Secure, SameSite=Strict and __Secure- names unless told otherwise")
    func defaults() async throws {
        let defaults = try await self.settings([:])
        #expect(defaults.mode == .off && !defaults.enabled)
        #expect(defaults.secure && defaults.sameSite == "Strict")
        #expect(defaults.accessName == "__Secure-access-token" && defaults.refreshName == "__Secure-refresh-token")
        let plain = try await self.settings(["SESSION_COOKIES": "only", "SESSION_COOKIE_SECURE": "false", "SESSION_COOKIE_SAMESITE": "lax"])
        #expect(plain.mode == .only && plain.enabled && !plain.secure && plain.sameSite == "Lax")
        #expect(plain.accessName == "access-token" && plain.refreshName == "refresh-token")
    }

    @Test("the cookies are HttpOnly, scoped to the API and the auth routes, and cleared with Max-Age=0")
    func cookies() {
        let settings = SessionCookieSettings(mode: .on)
        #expect(settings.accessCookie("a.b.c", maxAge: 900) == "__Secure-access-token=a.b.c; Path=/api; Max-Age=900; HttpOnly; SameSite=Strict; Secure")
        #expect(settings.refreshCookie("r.1", maxAge: 604_800) == "__Secure-refresh-token=r.1; Path=/api/auth; Max-Age=604800; HttpOnly; SameSite=Strict; Secure")
        #expect(settings.clearingCookies.allSatisfy { $0.contains("Max-Age=0") && $0.contains("HttpOnly") })
    }

    @Test("a setting that cannot work stops the service at start", arguments: [
        ["SESSION_COOKIES": "maybe"], ["SESSION_COOKIE_SECURE": "yes"], ["SESSION_COOKIE_SAMESITE": "sometimes"],
        ["SESSION_COOKIE_SAMESITE": "None", "SESSION_COOKIE_SECURE": "false"], ["SESSION_COOKIE_ACCESS_NAME": "a b"],
        ["SESSION_COOKIE_REFRESH_NAME": "x;y"],
    ])
    func refused(environment: [String: String]) async {
        await #expect(throws: ConfigurationError.self) { try await self.settings(environment) }
    }
}
