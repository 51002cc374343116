@testable import AuthService
import Common
import Foundation
import HummingbirdBcrypt
import HummingbirdTesting
import Testing

@Suite("Signin answers the tutorial's body with a verifiable access token and reveals nothing on failure")
struct SigninTests {
    let fixture: AuthFixture

    init() throws {
        self.fixture = try AuthFixture()
    }

    @Test("success carries id, username, email, ROLE_ roles and both tokens")
    func successBody() async throws {
        let id = try await self.fixture.addUser("alice", roles: [.user, .moderator])
        try await self.fixture.application().test(.router) { client in
            let reply = try await client.signin("alice")
            #expect(reply.status == .ok)
            let json = reply.json
            #expect(Set(json.keys) == ["id", "username", "email", "roles", "accessToken", "refreshToken"])
            #expect(json["id"] as? Int == id)
            #expect(json["username"] as? String == "alice")
            #expect(json["email"] as? String == "alice@example.com")
            #expect(json["roles"] as? [String] == ["ROLE_USER", "ROLE_MODERATOR"])
            #expect((json["accessToken"] as? String)?.isEmpty == false)
            #expect(SessionRefreshToken(parsing: try #require(json["refreshToken"] as? String))?.generation == 1)
        }
    }

    @Test("a plain user's roles are exactly [ROLE_USER]")
    func plainUserRoles() async throws {
        try await self.fixture.addUser("bob")
        try await self.fixture.application().test(.router) { client throws in
            #expect(try await client.signedIn("bob").roles == ["ROLE_USER"])
        }
    }

    @Test("the access token verifies against the JWKS and carries sid, jti, roles, iss, aud and exp = iat + ttl")
    func accessTokenClaims() async throws {
        let id = try await self.fixture.addUser("alice", roles: [.user, .admin])
        try await self.fixture.application().test(.router) { client in
            let body = try await client.signedIn("alice")
            let claims = try await self.fixture.verifier().verify(body.accessToken)

            #expect(claims.id == id)
            #expect(claims.sub == String(id))
            #expect(claims.roles == ["user", "admin"])
            #expect(claims.iss == AuthFixture.tokens.issuer)
            #expect(claims.aud == AuthFixture.tokens.audience)
            #expect(!claims.sid.isEmpty)
            #expect(!claims.jti.isEmpty)
            #expect(claims.iat == Int(self.fixture.clock.now()))
            #expect(claims.exp == claims.iat + AuthFixture.accessTokenTTL)

            let header = try #require(body.accessToken.split(separator: ".").first.flatMap { Base64URL.decode($0) })
            let fields = try #require(try JSONSerialization.jsonObject(with: header) as? [String: Any])
            #expect(fields["alg"] as? String == "ES256")
            #expect(fields["typ"] as? String == "at+jwt")
            #expect(fields["kid"] as? String == self.fixture.signingKeys.signingKID)
        }
    }

    @Test("two signins open two sessions with distinct tokens")
    func separateSessions() async throws {
        try await self.fixture.addUser("alice")
        try await self.fixture.application().test(.router) { client in
            let first = try await client.signedIn("alice")
            let second = try await client.signedIn("alice")
            let verifier = try await self.fixture.verifier()
            #expect(first.refreshToken != second.refreshToken)
            #expect(try await verifier.verify(first.accessToken).sid != (try await verifier.verify(second.accessToken).sid))
        }
    }

    @Test("the username matches case-insensitively at signin")
    func usernameCaseInsensitive() async throws {
        try await self.fixture.addUser("Alice")
        try await self.fixture.application().test(.router) { client throws in
            #expect(try await client.signedIn("aLICE").username == "Alice")
        }
    }

    @Test("unknown user and wrong password get the identical 401 body with accessToken null")
    func failuresAreIndistinguishable() async throws {
        try await self.fixture.addUser("alice")
        try await self.fixture.application().test(.router) { client in
            let unknown = try await client.signin("nobody", password: "correct-horse")
            let wrong = try await client.signin("alice", password: "wrong-horse")
            #expect(unknown.status == .unauthorized)
            #expect(wrong.status == .unauthorized)
            #expect(unknown.text == wrong.text)
            #expect(unknown.text == #"{"accessToken":null,"message":"Invalid username or password!"}"#)
        }
    }

    @Test("missing fields are 400, not 401 or a crash")
    func missingFields() async throws {
        try await self.fixture.application().test(.router) { client in
            let noName = try await client.post("/api/auth/signin", json: #"{"password":"x"}"#)
            #expect(noName.status == .badRequest)
            #expect(noName.message == "Failed! username is required!")
            let noPassword = try await client.post("/api/auth/signin", json: #"{"username":"alice"}"#)
            #expect(noPassword.status == .badRequest)
            #expect(noPassword.message == "Failed! password is required!")
            let wrongType = try await client.post("/api/auth/signin", json: #"{"username":"alice","password":123456}"#)
            #expect(wrongType.status == .badRequest)
        }
    }

    @Test("a form-encoded signin works")
    func formSignin() async throws {
        try await self.fixture.addUser("alice")
        try await self.fixture.application().test(.router) { client in
            let reply = try await client.post("/api/auth/signin", form: "username=alice&password=correct-horse")
            #expect(reply.status == .ok)
            #expect(reply.json["username"] as? String == "alice")
        }
    }

    @Test("a tutorial bcrypt $2a$08$ hash signs in and is re-hashed to argon2id")
    func bcryptHashIsUpgraded() async throws {
        let bcrypt = "$2a$" + Bcrypt.hash("tutorial-pw", cost: 8).dropFirst(4)
        #expect(bcrypt.hasPrefix("$2a$08$"))
        let id = try await self.fixture.users.create(NewUser(username: "legacy", email: "legacy@example.com", passwordHash: bcrypt, roles: [.user]))
        try await self.fixture.application().test(.router) { client in
            #expect(try await client.signin("legacy", password: "wrong-pw").status == .unauthorized)
            #expect(try await self.fixture.users.find(id: id)?.passwordHash == bcrypt)

            #expect(try await client.signin("legacy", password: "tutorial-pw").status == .ok)
            let upgraded = try #require(try await self.fixture.users.find(id: id)?.passwordHash)
            #expect(upgraded.hasPrefix("$argon2id$"))
            #expect(try await client.signin("legacy", password: "tutorial-pw").status == .ok)
        }
    }
}
