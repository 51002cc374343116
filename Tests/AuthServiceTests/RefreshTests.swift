@testable import AuthService
import Common
import HummingbirdTesting
import Testing

@Suite("Refresh rotates the token on every use and answers each failure as the contract words it")
struct RefreshTests {
    let fixture: AuthFixture

    init() throws {
        self.fixture = try AuthFixture()
    }

    @Test("a missing or null refreshToken is 403 Refresh Token is required!", arguments: ["{}", #"{"refreshToken":null}"#, #"{"refreshToken":""}"#])
    func missingToken(body: String) async throws {
        try await self.fixture.application().test(.router) { client in
            let reply = try await client.post("/api/auth/refreshtoken", json: body)
            #expect(reply.status == .forbidden)
            #expect(reply.text == #"{"message":"Refresh Token is required!"}"#)
        }
    }

    @Test("an unknown token is 403 not in database", arguments: [SessionRefreshToken.first(sessionID: RefreshTokenFormat.newSessionID()).text, LegacySessions.newToken(), "short", String(repeating: "x", count: 500)])
    func unknownToken(token: String) async throws {
        try await self.fixture.application().test(.router) { client in
            let reply = try await client.refresh(token)
            #expect(reply.status == .forbidden)
            #expect(reply.text == #"{"message":"Refresh token is not in database!"}"#)
        }
    }

    @Test("success returns a new access token and a NEW refresh token in the same session")
    func rotates() async throws {
        let id = try await self.fixture.addUser("alice")
        try await self.fixture.application().test(.router) { client in
            let session = try await client.signedIn("alice")
            self.fixture.clock.advance(by: 5)
            let reply = try await client.refresh(session.refreshToken)
            #expect(reply.status == .ok)
            #expect(Set(reply.json.keys) == ["accessToken", "refreshToken"])
            let next = try #require(reply.json["refreshToken"] as? String)
            let accessToken = try #require(reply.json["accessToken"] as? String)
            #expect(next != session.refreshToken)

            let verifier = try await self.fixture.verifier()
            let before = try await verifier.verify(session.accessToken)
            let after = try await verifier.verify(accessToken)
            #expect(after.id == id)
            #expect(after.sid == before.sid)
            #expect(after.jti != before.jti)
            #expect(after.iat == before.iat + 5)

            #expect(try await client.refresh(next).status == .ok)
        }
    }

    @Test("a replay of the token just rotated, within the grace window, gets the very same pair")
    func graceReplayGetsSamePair() async throws {
        try await self.fixture.addUser("alice")
        try await self.fixture.application().test(.router) { client in
            let session = try await client.signedIn("alice")
            let first = try await client.refresh(session.refreshToken)
            self.fixture.clock.advance(by: Int64(AuthFixture.policy.reuseGrace))
            let replay = try await client.refresh(session.refreshToken)
            #expect(first.status == .ok)
            #expect(replay.status == .ok)
            #expect(replay.json["refreshToken"] as? String == first.json["refreshToken"] as? String)
            #expect(replay.json["accessToken"] as? String == first.json["accessToken"] as? String)
            #expect(first.json["refreshToken"] as? String != nil)
        }
    }

    @Test("a replay after the grace window, once its successor has been used, is refused and revokes the whole session")
    func reuseRevokesSession() async throws {
        try await self.fixture.addUser("alice")
        try await self.fixture.application().test(.router) { client in
            let session = try await client.signedIn("alice")
            let rotated = try await client.refresh(session.refreshToken)
            let successor = try #require(rotated.json["refreshToken"] as? String)
            let used = try await client.refresh(successor)
            let latest = try #require(used.json["refreshToken"] as? String)
            self.fixture.clock.advance(by: Int64(AuthFixture.policy.reuseGrace + 1))

            let reuse = try await client.refresh(session.refreshToken)
            #expect(reuse.status == .forbidden)
            #expect(reuse.message?.contains("already used") == true)

            let afterwards = try await client.refresh(latest)
            #expect(afterwards.status == .forbidden)
            #expect(afterwards.text == #"{"message":"Refresh token was revoked. Please make a new signin request"}"#)
            let sid = try await self.fixture.verifier().verify(session.accessToken).sid
            #expect(await self.fixture.sessions.isSessionRevoked(sid))
        }
    }

    /// The tutorial's refresh clients keep only `accessToken` and send their signin token every time.
    @Test("a client that never stores the new refresh token keeps working over 8 hours of refreshes every 15 minutes")
    func clientKeepingItsSigninToken() async throws {
        let fixture = try AuthFixture(policy: SessionPolicy(absoluteLifetime: 86_400, idleLifetime: 3_600, reuseGrace: 10, revocationRetention: 90_000))
        let id = try await fixture.addUser("alice")
        try await fixture.application().test(.router) { client in
            let session = try await client.signedIn("alice")
            let verifier = try await fixture.verifier()
            var successors = Set<String>()
            for _ in 0..<32 {
                fixture.clock.advance(by: 900)
                let reply = try await client.refresh(session.refreshToken)
                try #require(reply.status == .ok, "\(reply.text)")
                successors.insert(try #require(reply.json["refreshToken"] as? String))
                let claims = try await verifier.verify(try #require(reply.json["accessToken"] as? String))
                #expect(claims.id == id)
                #expect(claims.iat == Int(fixture.clock.now()))
            }
            // One successor, handed out again and again: no new generation, no fork.
            #expect(successors.count == 1)
            #expect(successors.first != session.refreshToken)
        }
    }

    @Test("once the successor is used, the parent and every older generation are reuse; the unused successor's parent is not")
    func rotatingClientKeepsReuseDetection() async throws {
        try await self.fixture.addUser("alice")
        try await self.fixture.application().test(.router) { client in
            let zero = try await client.signedIn("alice").refreshToken
            let one = try #require(try await client.refresh(zero).json["refreshToken"] as? String)
            let two = try #require(try await client.refresh(one).json["refreshToken"] as? String)
            self.fixture.clock.advance(by: Int64(AuthFixture.policy.reuseGrace + 1))

            // `one` was spent into `two`, which is still unused: its holder lost the answer.
            let replay = try await client.refresh(one)
            #expect(replay.status == .ok)
            #expect(replay.json["refreshToken"] as? String == two)

            // `zero` was spent into `one`, which has been used: a thief's replay.
            let reuse = try await client.refresh(zero)
            #expect(reuse.status == .forbidden)
            #expect(reuse.message?.contains("already used") == true)
            #expect(try await client.refresh(two).status == .forbidden)
        }
    }

    @Test("a token past the session's absolute lifetime is 403 expired")
    func absoluteExpiry() async throws {
        try await self.fixture.addUser("alice")
        try await self.fixture.application().test(.router) { client in
            var token = try await client.signedIn("alice").refreshToken
            // Active every idle-lifetime minus a second, so only the absolute lifetime can end it.
            let step = AuthFixture.policy.idleLifetime - 1
            var elapsed = 0
            while elapsed + step < AuthFixture.policy.absoluteLifetime {
                self.fixture.clock.advance(by: Int64(step))
                elapsed += step
                let reply = try await client.refresh(token)
                #expect(reply.status == .ok)
                token = try #require(reply.json["refreshToken"] as? String)
            }
            self.fixture.clock.advance(by: Int64(AuthFixture.policy.absoluteLifetime - elapsed))
            let reply = try await client.refresh(token)
            #expect(reply.status == .forbidden)
            #expect(reply.text == #"{"message":"Refresh token was expired. Please make a new signin request"}"#)
        }
    }

    @Test("a token left unused past the idle lifetime is 403 expired")
    func idleExpiry() async throws {
        try await self.fixture.addUser("alice")
        try await self.fixture.application().test(.router) { client in
            let session = try await client.signedIn("alice")
            self.fixture.clock.advance(by: Int64(AuthFixture.policy.idleLifetime))
            let reply = try await client.refresh(session.refreshToken)
            #expect(reply.status == .forbidden)
            #expect(reply.text == #"{"message":"Refresh token was expired. Please make a new signin request"}"#)
        }
    }

    @Test("a refresh reads the roles again: a role granted since signin appears in the new access token")
    func rolesAreReadAgain() async throws {
        let id = try await self.fixture.addUser("alice")
        try await self.fixture.application().test(.router) { client in
            let session = try await client.signedIn("alice")
            try await self.fixture.users.grant(.moderator, toUserID: id)
            let reply = try await client.refresh(session.refreshToken)
            let accessToken = try #require(reply.json["accessToken"] as? String)
            #expect(try await self.fixture.verifier().verify(accessToken).roles == ["user", "moderator"])
        }
    }
}
