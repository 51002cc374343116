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

            let expected = UserRecord(id: id, username: "Alice", email: "alice@example.com", passwordHash: "$argon2id$hash-of-Alice", roles: [.user, .admin])
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

    @Test("a password hash update is stored; granting a role twice is harmless")
    func updateAndGrant() async throws {
        try await self.withRepository { repository, _ in
            let id = try await repository.create(self.user("bob"))
            try await repository.updatePasswordHash(userID: id, hash: "$argon2id$new")
            try await repository.grant(.admin, toUserID: id)
            try await repository.grant(.admin, toUserID: id)

            let user = try #require(try await repository.find(id: id))
            #expect(user.passwordHash == "$argon2id$new")
            #expect(user.roles == [.user, .admin])
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
