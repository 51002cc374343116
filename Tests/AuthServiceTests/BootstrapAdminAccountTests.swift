@testable import AuthService
import Common
import Logging
import Testing

@Suite("BootstrapAdminAccount makes sure the configured admin exists, without clobbering anything")
struct BootstrapAdminAccountTests {
    let fixture: AuthFixture
    let logger = Logger(label: "bootstrap-test")

    init() throws {
        self.fixture = try AuthFixture()
    }

    private func bootstrap(password: String = "first-password") -> BootstrapAdminAccount {
        BootstrapAdminAccount(
            admin: BootstrapAdmin(username: "root", email: "root@example.com", password: password),
            users: self.fixture.users, sessions: self.fixture.sessions, passwords: self.fixture.passwords
        )
    }

    @Test("an absent admin is created with the roles user and admin and its password")
    func createsAdmin() async throws {
        try await self.bootstrap().ensure(logger: self.logger)

        let admin = try #require(try await self.fixture.users.find(username: "root"))
        #expect(admin.roles == [.user, .admin])
        #expect(admin.email == "root@example.com")
        #expect(try await self.fixture.passwords.verify("first-password", against: admin.passwordHash).matches)
    }

    @Test("running it again changes nothing")
    func idempotent() async throws {
        try await self.bootstrap().ensure(logger: self.logger)
        let first = try await self.fixture.users.find(username: "root")
        try await self.bootstrap().ensure(logger: self.logger)
        #expect(try await self.fixture.users.find(username: "root") == first)
        #expect(try await self.fixture.users.find(id: 2) == nil)
    }

    @Test("an existing account keeps its password even when the configured one changed")
    func neverOverwritesPassword() async throws {
        try await self.bootstrap(password: "first-password").ensure(logger: self.logger)
        try await self.bootstrap(password: "changed-in-env").ensure(logger: self.logger)

        let admin = try #require(try await self.fixture.users.find(username: "root"))
        #expect(try await self.fixture.passwords.verify("first-password", against: admin.passwordHash).matches)
        #expect(try await self.fixture.passwords.verify("changed-in-env", against: admin.passwordHash).matches == false)
    }

    @Test("an existing plain user of that name is granted admin and its old sessions end")
    func grantsAdminToExistingUser() async throws {
        let id = try await self.fixture.addUser("root", password: "their-own")
        let session = try await self.fixture.sessions.open(userID: id)
        self.fixture.clock.advance(by: 1)

        try await self.bootstrap().ensure(logger: self.logger)

        let user = try #require(try await self.fixture.users.find(id: id))
        #expect(user.roles == [.user, .admin])
        #expect(try await self.fixture.passwords.verify("their-own", against: user.passwordHash).matches)
        #expect(await self.fixture.sessions.isSessionRevoked(session.sessionID))
    }

    @Test("an email already used by someone else leaves that account alone")
    func emailTakenBySomeoneElse() async throws {
        let otherID = try await self.fixture.users.create(NewUser(username: "someone", email: "root@example.com", passwordHash: "x", roles: [.user]))
        try await self.bootstrap().ensure(logger: self.logger)

        #expect(try await self.fixture.users.find(username: "root") == nil)
        #expect(try await self.fixture.users.find(id: otherID)?.roles == [.user])
    }
}
