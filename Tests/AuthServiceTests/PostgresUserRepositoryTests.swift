@testable import AuthService
import Common
import PostgresNIO
import Testing

@Suite("PostgresUserRepository keeps users unique case-insensitively, even under concurrent signups")
struct PostgresUserRepositoryTests {
    /// A migrated database of its own and a repository over it.
    private func withRepository(_ body: (PostgresUserRepository, PostgresClient) async throws -> Void) async throws {
        try await withTestDatabase { client in
            try await Migrator(client: client, logger: storeLogger).migrate()
            try await body(PostgresUserRepository(client: client, logger: storeLogger), client)
        }
    }

    private func user(_ username: String, email: String? = nil, roles: [Role] = [.user]) -> NewUser {
        NewUser(username: username, email: email ?? "\(username.lowercased())@example.com", passwordHash: "$argon2id$hash-of-\(username)", roles: roles)
    }

    @Test("a created user is found by id and by name in any case, with its roles in id order")
    func createAndFind() async throws {
        try await self.withRepository { repository, _ in
            let id = try await repository.create(self.user("Alice", roles: [.admin, .user]))

            let epoch = try #require(try await repository.find(id: id)).credentialEpoch
            let expected = UserRecord(
                id: id, username: "Alice", email: "alice@example.com", passwordHash: "$argon2id$hash-of-Alice", roles: [.user, .admin],
                credentialEpoch: epoch, emailVerified: false
            )
            #expect(try await repository.find(id: id) == expected)
            #expect(try await repository.find(username: "alice") == expected)
            #expect(try await repository.find(username: "ALICE") == expected)
            #expect(try await repository.find(username: "alic") == nil)
            #expect(try await repository.find(id: id + 1) == nil)
        }
    }

    @Test("8 concurrent creates of one name in different cases: exactly one wins, the rest are username conflicts")
    func concurrentSameUsername() async throws {
        try await self.withRepository { repository, client in
            let names = ["racer", "Racer", "RACER", "rAcer", "raCer", "racEr", "raceR", "RaCeR"]
            let outcomes = try await withThrowingTaskGroup(of: Result<Int, UserConflict>.self) { group in
                for (index, name) in names.enumerated() {
                    group.addTask {
                        do {
                            return .success(try await repository.create(self.user(name, email: "racer\(index)@example.com")))
                        } catch let conflict as UserConflict {
                            return .failure(conflict)
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let winners = outcomes.compactMap { try? $0.get() }
            let conflicts = outcomes.compactMap { if case .failure(let conflict) = $0 { conflict } else { nil } }
            #expect(winners.count == 1)
            #expect(conflicts.count == 7)
            #expect(conflicts.allSatisfy { $0.field == .username })
            #expect(try await column(client, "SELECT count(*)::text FROM users") == ["1"])
            #expect(try await column(client, "SELECT count(*)::text FROM user_roles") == ["1"])
        }
    }

    @Test("concurrent creates sharing an email in different cases: one wins, the rest are email conflicts")
    func concurrentSameEmail() async throws {
        try await self.withRepository { repository, _ in
            let outcomes = try await withThrowingTaskGroup(of: UserConflict.Field?.self) { group in
                for index in 0..<6 {
                    group.addTask {
                        do {
                            _ = try await repository.create(self.user("person\(index)", email: index.isMultiple(of: 2) ? "Shared@Example.com" : "shared@example.COM"))
                            return nil
                        } catch let conflict as UserConflict {
                            return conflict.field
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == nil }.count == 1)
            #expect(outcomes.filter { $0 == .email }.count == 5)
        }
    }

    @Test("the friendly pre-check names the username first, then the email")
    func conflictPreCheck() async throws {
        try await self.withRepository { repository, _ in
            _ = try await repository.create(self.user("taken", email: "taken@example.com"))

            #expect(try await repository.conflict(username: "TAKEN", email: "TAKEN@example.com") == .username)
            #expect(try await repository.conflict(username: "fresh", email: "Taken@Example.com") == .email)
            #expect(try await repository.conflict(username: "fresh", email: "fresh@example.com") == nil)
        }
    }

    @Test("a password change replaces the hash it was checked against and advances the epoch; from a replaced hash it is lost, after another change of the account it writes nothing")
    func changePasswordComparesAndSets() async throws {
        try await self.withRepository { repository, _ in
            let id = try await repository.create(self.user("bob"))
            let before = try #require(try await repository.find(id: id))
            let epoch = before.credentialEpoch

            try await repository.grant(.moderator, toUserID: id)
            #expect(try await repository.changePassword(userID: id, replacing: before.passwordHash, at: epoch, with: "$argon2id$new") == .accountChanged)
            #expect(try await repository.find(id: id)?.passwordHash == before.passwordHash)

            #expect(try await repository.changePassword(userID: id, replacing: before.passwordHash, at: epoch + 1, with: "$argon2id$new") == .changed(epoch: epoch + 2))
            #expect(try await repository.changePassword(userID: id, replacing: before.passwordHash, at: epoch + 2, with: "$argon2id$other") == .lost)

            let user = try #require(try await repository.find(id: id))
            #expect(user.passwordHash == "$argon2id$new")
            #expect(user.credentialEpoch == epoch + 2)
        }
    }

    @Test("8 concurrent password changes from one hash: exactly one wins, the others lose, the epoch advances once")
    func concurrentPasswordChangesHaveOneWinner() async throws {
        try await self.withRepository { repository, _ in
            let id = try await repository.create(self.user("carol"))
            let before = try #require(try await repository.find(id: id))
            let writes = try await withThrowingTaskGroup(of: PasswordWrite.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        try await repository.changePassword(userID: id, replacing: before.passwordHash, at: before.credentialEpoch, with: "$argon2id$new\(index)")
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(writes.filter { $0 == .changed(epoch: before.credentialEpoch + 1) }.count == 1)
            #expect(writes.filter { $0 == .lost }.count == 7)
            #expect(try await repository.find(id: id)?.credentialEpoch == before.credentialEpoch + 1)
        }
    }

    @Test("a disabled account's password is not changed")
    func disabledAccountKeepsItsPassword() async throws {
        try await self.withRepository { repository, client in
            let id = try await repository.create(self.user("dave"))
            let epoch = try #require(try await repository.find(id: id)).credentialEpoch
            _ = try await client.query(#"UPDATE users SET "disabledAt" = now() WHERE id = \#(id)"#, logger: storeLogger)
            #expect(try await repository.changePassword(userID: id, replacing: "$argon2id$hash-of-dave", at: epoch, with: "$argon2id$new") == .lost)
            #expect(try await repository.find(id: id)?.passwordHash == "$argon2id$hash-of-dave")
        }
    }

    @Test("a hash upgrade keeps the epoch and loses to a password change that came first")
    func upgradeKeepsTheEpochAndLosesToAChange() async throws {
        try await self.withRepository { repository, _ in
            let id = try await repository.create(self.user("erin"))
            let epoch = try #require(try await repository.find(id: id)).credentialEpoch
            try await repository.upgradePasswordHash(userID: id, replacing: "$argon2id$hash-of-erin", with: "$argon2id$stronger")
            #expect(try await repository.find(id: id)?.passwordHash == "$argon2id$stronger")
            #expect(try await repository.find(id: id)?.credentialEpoch == epoch)

            #expect(try await repository.changePassword(userID: id, replacing: "$argon2id$stronger", at: epoch, with: "$argon2id$changed") == .changed(epoch: epoch + 1))
            try await repository.upgradePasswordHash(userID: id, replacing: "$argon2id$stronger", with: "$argon2id$old-password-again")
            #expect(try await repository.find(id: id)?.passwordHash == "$argon2id$changed")
        }
    }

    @Test("granting a role advances the epoch once, granting it again is harmless; the epoch advances alone for an unknown user not at all")
    func grantAndAdvance() async throws {
        try await self.withRepository { repository, _ in
            let id = try await repository.create(self.user("bob"))
            let epoch = try #require(try await repository.find(id: id)).credentialEpoch
            #expect(try await repository.grant(.admin, toUserID: id) == epoch + 1)
            #expect(try await repository.grant(.admin, toUserID: id) == nil)
            #expect(try await repository.advanceCredentialEpoch(userID: id) == epoch + 2)
            #expect(try await repository.advanceCredentialEpoch(userID: id + 1000) == nil)

            let user = try #require(try await repository.find(id: id))
            #expect(user.roles == [.user, .admin])
            #expect(user.credentialEpoch == epoch + 2)
        }
    }

    @Test("every account draws its own lineage: epochs of two accounts never compare")
    func accountsDrawTheirOwnLineage() async throws {
        try await self.withRepository { repository, _ in
            var lineages = Set<Int>()
            for name in ["lin1", "lin2", "lin3", "lin4"] {
                let user = try #require(try await repository.find(id: try await repository.create(self.user(name))))
                #expect(user.credentialEpoch % (1 << CredentialEpoch.counterBits) == 0)
                lineages.insert(CredentialEpoch.lineage(of: user.credentialEpoch))
            }
            #expect(lineages.count == 4 && !lineages.contains(0))
        }
    }

    @Test("names that look like SQL are stored and found literally")
    func sqlLookingNames() async throws {
        try await self.withRepository { repository, client in
            let name = "x'); DROP TABLE users; --"
            let id = try await repository.create(self.user(name, email: "sql@example.com"))
            #expect(try await repository.find(username: name)?.id == id)
            #expect(try await repository.find(username: "x' OR '1'='1") == nil)
            #expect(try await column(client, "SELECT count(*)::text FROM users") == ["1"])
        }
    }
}
