@testable import AuthService
import Common
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Users as the in-memory repository keeps them, except that the next read runs `change` after it
/// has read the account and before it hands the record back: the route then works from the account
/// as it was just before a change that has committed and revoked, the interleaving a real race makes.
actor ChangeAfterRead: UserRepository {
    private let inner: MemoryUserRepository
    private var change: (@Sendable () async throws -> Void)?

    init(_ inner: MemoryUserRepository) {
        self.inner = inner
    }

    /// The next `find` (by name or id) runs `change` after its read.
    func onNextRead(_ change: @escaping @Sendable () async throws -> Void) {
        self.change = change
    }

    private func afterRead(_ record: UserRecord?) async throws -> UserRecord? {
        if let change = self.change {
            self.change = nil
            try await change()
        }
        return record
    }

    func find(username: String) async throws -> UserRecord? { try await self.afterRead(try await self.inner.find(username: username)) }
    func find(id: Int) async throws -> UserRecord? { try await self.afterRead(try await self.inner.find(id: id)) }
    func conflict(username: String, email: String) async throws -> UserConflict.Field? {
        try await self.inner.conflict(username: username, email: email)
    }
    func create(_ user: NewUser) async throws -> Int { try await self.inner.create(user) }
    func changePassword(userID: Int, replacing current: String, at epoch: Int, with new: String) async throws -> PasswordWrite {
        try await self.inner.changePassword(userID: userID, replacing: current, at: epoch, with: new)
    }
    func upgradePasswordHash(userID: Int, replacing current: String, with new: String) async throws {
        try await self.inner.upgradePasswordHash(userID: userID, replacing: current, with: new)
    }
    func advanceCredentialEpoch(userID: Int) async throws -> Int? { try await self.inner.advanceCredentialEpoch(userID: userID) }
    func grant(_ role: Role, toUserID userID: Int) async throws -> Int? { try await self.inner.grant(role, toUserID: userID) }
    func list(_ query: UserListQuery) async throws -> UserPage { try await self.inner.list(query) }
    func summary(id: Int) async throws -> UserSummary? { try await self.inner.summary(id: id) }
    func apply(
        _ change: AccountChange, toUserID userID: Int, actorID: Int,
        beforeCommit: @escaping @Sendable (UserSummary) async throws -> Void
    ) async throws -> AppliedAccountChange {
        try await self.inner.apply(change, toUserID: userID, actorID: actorID, beforeCommit: beforeCommit)
    }
}

@Suite("A route that read the account before a change committed issues nothing under the old state")
struct AccountChangeRaceTests {
    let fixture: AuthFixture
    let users: ChangeAfterRead

    init() throws {
        self.fixture = try AuthFixture()
        self.users = ChangeAfterRead(self.fixture.users)
    }

    private func application() async throws -> some ApplicationProtocol {
        var dependencies = self.fixture.dependencies
        dependencies.users = self.users
        return Application(router: try await buildRouter(dependencies))
    }

    /// What an admin's disable commits and then revokes.
    private func disable(_ id: Int, by admin: Int) async throws {
        let applied = try await self.fixture.users.apply(.disable, toUserID: id, actorID: admin) { _ in }
        try await self.fixture.sessions.revokeAllSessions(userID: id, epoch: applied.epoch)
    }

    @Test("a signin whose account is disabled while its password is checked gets the wrong password's 401 and opens no session")
    func signinRacingADisable() async throws {
        let admin = try await self.fixture.addUser("admin", roles: [.user, .admin])
        let id = try await self.fixture.addUser("alice")
        try await self.application().test(.router) { client in
            await self.users.onNextRead { try await self.disable(id, by: admin) }
            let reply = try await client.signin("alice")
            #expect(reply.status == .unauthorized)
            #expect(reply.text == #"{"accessToken":null,"message":"Invalid username or password!"}"#)
            #expect(try await self.fixture.sessions.liveSessions(ofUser: id).isEmpty)
            #expect(await self.fixture.audit.all.last?.details["reason"] == "account_changed")
        }
    }

    @Test("a signin whose password is changed while it is checked is refused; one with the new password then works")
    func signinRacingAPasswordChange() async throws {
        let id = try await self.fixture.addUser("alice")
        let newHash = try await self.fixture.passwords.hash("battery-staple")
        try await self.application().test(.router) { client throws in
            await self.users.onNextRead {
                let account = try #require(try await self.fixture.users.find(id: id))
                let write = try await self.fixture.users.changePassword(
                    userID: id, replacing: account.passwordHash, at: account.credentialEpoch, with: newHash
                )
                try await self.fixture.sessions.revokeAllSessions(userID: id, epoch: account.credentialEpoch + 1)
                #expect(write == .changed(epoch: account.credentialEpoch + 1))
            }
            #expect(try await client.signin("alice").status == .unauthorized)
            #expect(try await client.signin("alice", password: "battery-staple").status == .ok)
        }
    }

    /// An admin drops the moderator role of user `id`, as the admin route does: the new roles written,
    /// and the access tokens of the old epoch refused.
    private func dropModerator(of id: Int, by admin: Int) async throws {
        let applied = try await self.fixture.users.apply(.replaceRoles([.user]), toUserID: id, actorID: admin) { _ in }
        try await self.fixture.sessions.refuseAccessTokens(ofUser: id, epoch: applied.epoch)
    }

    @Test("a refresh that read the roles before a role change is retried on the account as it is now: the new roles and epoch, the session goes on")
    func refreshRacingARoleChange() async throws {
        let admin = try await self.fixture.addUser("admin", roles: [.user, .admin])
        let id = try await self.fixture.addUser("alice", roles: [.user, .moderator])
        try await self.application().test(.router) { client in
            let alice = try await client.signedIn("alice")
            let epoch = try #require(try await self.fixture.users.find(id: id)).credentialEpoch
            await self.users.onNextRead { try await self.dropModerator(of: id, by: admin) }
            let reply = try await client.refresh(alice.refreshToken)
            #expect(reply.status == .ok, "\(reply.text)")
            let claims = try await self.fixture.verifier().verify(try #require(reply.json["accessToken"] as? String))
            #expect(claims.roles == ["user"])
            #expect(claims.epoch == epoch + 1)
            #expect(try await self.fixture.sessions.isRevoked(claims) == false)
            #expect(try await client.refresh(try #require(reply.json["refreshToken"] as? String)).status == .ok)
        }
    }

    @Test("a refresh within the grace window after a role change gets the same refresh token but a fresh access token, not the stale sealed one")
    func graceReplayAfterARoleChange() async throws {
        let admin = try await self.fixture.addUser("admin", roles: [.user, .admin])
        let id = try await self.fixture.addUser("alice", roles: [.user, .moderator])
        try await self.application().test(.router) { client in
            let alice = try await client.signedIn("alice")
            let epoch = try #require(try await self.fixture.users.find(id: id)).credentialEpoch
            let first = try await client.refresh(alice.refreshToken)
            try await self.dropModerator(of: id, by: admin)

            let replay = try await client.refresh(alice.refreshToken)
            #expect(replay.status == .ok)
            #expect(replay.json["refreshToken"] as? String == first.json["refreshToken"] as? String)
            let stale = try await self.fixture.verifier().verify(try #require(first.json["accessToken"] as? String))
            let fresh = try await self.fixture.verifier().verify(try #require(replay.json["accessToken"] as? String))
            #expect(stale.roles == ["user", "moderator"] && stale.epoch == epoch)
            #expect(fresh.roles == ["user"] && fresh.epoch == epoch + 1)
            #expect(try await self.fixture.sessions.isRevoked(stale))
        }
    }

    @Test("a password change whose current hash another change replaced meanwhile answers 'Wrong current password!' and changes nothing")
    func passwordChangeLosingTheRace() async throws {
        let id = try await self.fixture.addUser("alice")
        let winnerHash = try await self.fixture.passwords.hash("winner-password")
        try await self.application().test(.router) { client in
            let alice = try await client.signedIn("alice")
            await self.users.onNextRead {
                let account = try #require(try await self.fixture.users.find(id: id))
                _ = try await self.fixture.users.changePassword(
                    userID: id, replacing: account.passwordHash, at: account.credentialEpoch, with: winnerHash
                )
            }
            let reply = try await client.call(.post, "/api/auth/password", token: alice.accessToken,
                                              json: #"{"currentPassword":"correct-horse","newPassword":"loser-password"}"#)
            #expect(reply.status == .unauthorized)
            #expect(reply.message == "Wrong current password!")
            #expect(try await client.signin("alice", password: "winner-password").status == .ok)
            #expect(try await client.signin("alice", password: "loser-password").status == .unauthorized)
        }
    }

    @Test("a password change whose account had its roles changed meanwhile still succeeds, written and issued under the account as it is now")
    func passwordChangeRacingARoleChange() async throws {
        let admin = try await self.fixture.addUser("admin", roles: [.user, .admin])
        let id = try await self.fixture.addUser("alice", roles: [.user, .moderator])
        try await self.application().test(.router) { client in
            let alice = try await client.signedIn("alice")
            let epoch = try #require(try await self.fixture.users.find(id: id)).credentialEpoch
            await self.users.onNextRead { try await self.dropModerator(of: id, by: admin) }
            let reply = try await client.call(.post, "/api/auth/password", token: alice.accessToken,
                                              json: #"{"currentPassword":"correct-horse","newPassword":"battery-staple"}"#)
            #expect(reply.status == .ok, "\(reply.text)")
            let claims = try await self.fixture.verifier().verify(try #require(reply.json["accessToken"] as? String))
            #expect(claims.roles == ["user"] && claims.epoch == epoch + 2)
            #expect(try await self.fixture.sessions.isRevoked(claims) == false)
            #expect(try await client.signin("alice", password: "battery-staple").status == .ok)
        }
    }

    @Test("a global signout advances the epoch: a signin that read the account before it opens no session")
    func signinRacingAGlobalSignout() async throws {
        let id = try await self.fixture.addUser("alice")
        let epoch = try #require(try await self.fixture.users.find(id: id)).credentialEpoch
        try await self.application().test(.router) { client in
            let alice = try await client.signedIn("alice")
            await self.users.onNextRead {
                let signout = try await client.call(.post, "/api/auth/signout?scope=global", token: alice.accessToken)
                #expect(signout.status == .ok)
            }
            #expect(try await client.signin("alice").status == .unauthorized)
            #expect(try await self.fixture.users.find(id: id)?.credentialEpoch == epoch + 1)
            #expect(try await self.fixture.sessions.liveSessions(ofUser: id).isEmpty)
        }
    }
}
