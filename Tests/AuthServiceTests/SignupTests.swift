@testable import AuthService
import Common
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Signup registers users, keeps names unique and grants privileged roles only to admins")
struct SignupTests {
    let fixture: AuthFixture

    init() throws {
        self.fixture = try AuthFixture()
    }

    @Test("a new user is registered with the role user and can sign in")
    func registers() async throws {
        try await self.fixture.application().test(.router) { client in
            let reply = try await client.signup("alice", email: "alice@example.com")
            #expect(reply.status == .ok)
            #expect(reply.text == #"{"message":"User registered successfully!"}"#)

            let user = try #require(try await self.fixture.users.find(username: "alice"))
            #expect(user.email == "alice@example.com")
            #expect(user.roles == [.user])
            #expect(user.passwordHash.hasPrefix("$argon2id$"))
            #expect(try await client.signin("alice").status == .ok)
        }
    }

    @Test("a username taken in another case is refused")
    func duplicateUsernameIgnoresCase() async throws {
        try await self.fixture.application().test(.router) { client in
            #expect(try await client.signup("Alice", email: "first@example.com").status == .ok)
            let reply = try await client.signup("aLiCe", email: "second@example.com")
            #expect(reply.status == .badRequest)
            #expect(reply.text == #"{"message":"Failed! Username is already in use!"}"#)
        }
    }

    @Test("an email taken in another case is refused")
    func duplicateEmailIgnoresCase() async throws {
        try await self.fixture.application().test(.router) { client in
            #expect(try await client.signup("first", email: "Shared@Example.com").status == .ok)
            let reply = try await client.signup("second", email: "shared@example.COM")
            #expect(reply.status == .badRequest)
            #expect(reply.text == #"{"message":"Failed! Email is already in use!"}"#)
        }
    }

    @Test("an unknown role is refused and named")
    func unknownRole() async throws {
        try await self.fixture.application().test(.router) { client in
            let reply = try await client.signup("bob", roles: ["user", "superuser"])
            #expect(reply.status == .badRequest)
            #expect(reply.text == #"{"message":"Failed! Role does not exist = superuser"}"#)
            #expect(try await self.fixture.users.find(username: "bob") == nil)
        }
    }

    @Test("no roles, [] and [\"user\"] all give exactly the role user", arguments: [nil, [], ["user"]] as [[String]?])
    func defaultRole(roles: [String]?) async throws {
        try await self.fixture.application().test(.router) { client throws in
            #expect(try await client.signup("carol", roles: roles).status == .ok)
            #expect(try await self.fixture.users.find(username: "carol")?.roles == [.user])
        }
    }

    @Test("a privileged role without a token is 403 Require Admin Role!", arguments: [["moderator"], ["admin"], ["user", "admin"]])
    func privilegedRoleWithoutToken(roles: [String]) async throws {
        try await self.fixture.application().test(.router) { client in
            let reply = try await client.signup("mallory", roles: roles)
            #expect(reply.status == .forbidden)
            #expect(reply.text == #"{"message":"Require Admin Role!"}"#)
            #expect(try await self.fixture.users.find(username: "mallory") == nil)
        }
    }

    @Test("a privileged role with a plain user's token is 403")
    func privilegedRoleWithUserToken() async throws {
        try await self.fixture.addUser("plain")
        try await self.fixture.application().test(.router) { client in
            let session = try await client.signedIn("plain")
            let reply = try await client.signup("mallory", roles: ["admin"], token: session.accessToken)
            #expect(reply.status == .forbidden)
            #expect(reply.text == #"{"message":"Require Admin Role!"}"#)
            #expect(try await self.fixture.users.find(username: "mallory") == nil)
        }
    }

    @Test("a privileged role with an admin's token is granted")
    func privilegedRoleWithAdminToken() async throws {
        try await self.fixture.addUser("root", roles: [.user, .admin])
        try await self.fixture.application().test(.router) { client in
            let admin = try await client.signedIn("root")
            let reply = try await client.signup("mod", roles: ["moderator"], token: admin.accessToken)
            #expect(reply.status == .ok)
            #expect(try await self.fixture.users.find(username: "mod")?.roles == [.moderator])

            let session = try await client.signedIn("mod")
            #expect(session.roles == ["ROLE_MODERATOR"])
        }
    }

    @Test("an admin's token in Authorization: Bearer works too")
    func adminTokenAsBearer() async throws {
        try await self.fixture.addUser("root", roles: [.admin])
        try await self.fixture.application().test(.router) { client in
            let admin = try await client.signedIn("root")
            let reply = try await client.post(
                "/api/auth/signup",
                json: #"{"username":"boss","email":"boss@example.com","password":"correct-horse","roles":["admin","user"]}"#,
                headers: [.authorization: "Bearer \(admin.accessToken)"]
            )
            #expect(reply.status == .ok)
            #expect(try await self.fixture.users.find(username: "boss")?.roles == [.user, .admin])
        }
    }

    @Test("a privileged role with a garbage or expired token is 401")
    func privilegedRoleWithBadToken() async throws {
        try await self.fixture.addUser("root", roles: [.admin])
        try await self.fixture.application().test(.router) { client in
            let garbage = try await client.signup("mallory", roles: ["admin"], token: "not.a.token")
            #expect(garbage.status == .unauthorized)
            #expect(garbage.text == #"{"message":"Unauthorized!"}"#)

            let admin = try await client.signedIn("root")
            self.fixture.clock.advance(by: Int64(AuthFixture.accessTokenTTL + 60))
            let expired = try await client.signup("mallory", roles: ["admin"], token: admin.accessToken)
            #expect(expired.status == .unauthorized)
            #expect(expired.text == #"{"message":"Unauthorized! Access Token was expired!"}"#)
            #expect(try await self.fixture.users.find(username: "mallory") == nil)
        }
    }

    @Test("a signed-out admin's token no longer grants privileged roles: 401 Unauthorized!, and nobody is created")
    func privilegedRoleWithSignedOutAdminToken() async throws {
        try await self.fixture.addUser("root", roles: [.user, .admin])
        try await self.fixture.application().test(.router) { client in
            let admin = try await client.signedIn("root")
            let signout = try await client.post("/api/auth/signout", json: "", headers: HTTPFields([AccessTokenHeader.field(admin.accessToken)]))
            #expect(signout.status == .ok)
            let reply = try await client.signup("mallory", roles: ["admin"], token: admin.accessToken)
            #expect(reply.status == .unauthorized)
            #expect(reply.text == #"{"message":"Unauthorized!"}"#)
            #expect(try await self.fixture.users.find(username: "mallory") == nil)
        }
    }
}
