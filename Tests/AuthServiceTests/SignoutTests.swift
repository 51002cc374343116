@testable import AuthService
import Common
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Signout ends the caller's session, or all of the user's sessions")
struct SignoutTests {
    let fixture: AuthFixture

    init() throws {
        self.fixture = try AuthFixture()
    }

    @Test("without a token it is 403 No token provided!; with a garbage one 401")
    func needsAToken() async throws {
        try await self.fixture.application().test(.router) { client in
            let none = try await client.post("/api/auth/signout", json: "")
            #expect(none.status == .forbidden)
            #expect(none.text == #"{"message":"No token provided!"}"#)
            let garbage = try await client.post("/api/auth/signout", json: "", headers: HTTPFields([AccessTokenHeader.field("garbage")]))
            #expect(garbage.status == .unauthorized)
        }
    }

    @Test("signout denylists the access token and revokes only this session")
    func localSignout() async throws {
        try await self.fixture.addUser("alice")
        try await self.fixture.application().test(.router) { client in
            let phone = try await client.signedIn("alice")
            let laptop = try await client.signedIn("alice")

            let reply = try await client.post("/api/auth/signout", json: "", headers: HTTPFields([AccessTokenHeader.field(phone.accessToken)]))
            #expect(reply.status == .ok)
            #expect(reply.text == #"{"message":"You've been signed out!"}"#)

            let claims = try await self.fixture.verifier().verify(phone.accessToken)
            #expect(await self.fixture.sessions.revokedAccessTokens.contains(claims.jti))
            let revoked = try await client.refresh(phone.refreshToken)
            #expect(revoked.status == .forbidden)
            #expect(revoked.text == #"{"message":"Refresh token was revoked. Please make a new signin request"}"#)
            #expect(try await client.refresh(laptop.refreshToken).status == .ok)
        }
    }

    @Test("a token already signed out is refused like on every signed-in route: 401, and the other session goes on")
    func revokedTokenRefused() async throws {
        try await self.fixture.addUser("alice")
        try await self.fixture.application().test(.router) { client in
            let phone = try await client.signedIn("alice")
            let laptop = try await client.signedIn("alice")
            #expect(try await client.post("/api/auth/signout", json: "", headers: HTTPFields([AccessTokenHeader.field(phone.accessToken)])).status == .ok)
            let again = try await client.post("/api/auth/signout?scope=global", json: "", headers: HTTPFields([AccessTokenHeader.field(phone.accessToken)]))
            #expect(again.status == .unauthorized)
            #expect(again.text == #"{"message":"Unauthorized!"}"#)
            #expect(try await client.refresh(laptop.refreshToken).status == .ok, "a refused global signout ended another session")
        }
    }

    @Test("scope=global revokes every session of the user")
    func globalSignout() async throws {
        try await self.fixture.addUser("alice")
        try await self.fixture.application().test(.router) { client in
            let phone = try await client.signedIn("alice")
            let laptop = try await client.signedIn("alice")

            let reply = try await client.post("/api/auth/signout?scope=global", json: "", headers: [.authorization: "Bearer \(phone.accessToken)"])
            #expect(reply.status == .ok)
            #expect(try await client.refresh(phone.refreshToken).status == .forbidden)
            #expect(try await client.refresh(laptop.refreshToken).status == .forbidden)

            // A signin after the global signout opens a session that works.
            self.fixture.clock.advance(by: 1)
            let fresh = try await client.signedIn("alice")
            #expect(try await client.refresh(fresh.refreshToken).status == .ok)
        }
    }

    @Test("an unknown scope is 400 and revokes nothing")
    func unknownScope() async throws {
        try await self.fixture.addUser("alice")
        try await self.fixture.application().test(.router) { client in
            let session = try await client.signedIn("alice")
            let reply = try await client.post("/api/auth/signout?scope=everything", json: "", headers: HTTPFields([AccessTokenHeader.field(session.accessToken)]))
            #expect(reply.status == .badRequest)
            #expect(try await client.refresh(session.refreshToken).status == .ok)
        }
    }
}
