@testable import AuthService
import Common
import Foundation
import PostgresNIO
import Testing

@Suite("PostgresUserRepository administration: list, change, and never lose the last admin")
struct PostgresAdministrationTests {
    private func withRepository(_ body: (PostgresUserRepository, PostgresClient) async throws -> Void) async throws {
        try await withTestDatabase { client in
            try await Migrator(client: client, logger: storeLogger).migrate()
            try await body(PostgresUserRepository(client: client, logger: storeLogger), client)
        }
    }

    @discardableResult
    private func create(_ repository: PostgresUserRepository, _ name: String, roles: [Role] = [.user]) async throws -> Int {
        try await repository.create(NewUser(username: name, email: "\(name)@example.com", passwordHash: "h", roles: roles))
    }

    private func apply(
        _ repository: PostgresUserRepository, _ change: AccountChange, to id: Int, by actor: Int
    ) async throws -> UserSummary {
        try await repository.apply(change, toUserID: id, actorID: actor) { _ in }.before
    }

    private func admins(_ client: PostgresClient) async throws -> [String] {
        try await column(client, #"SELECT u.username FROM users u JOIN user_roles ur ON ur."userId" = u.id AND ur."roleId" = 3 WHERE u."disabledAt" IS NULL ORDER BY 1"#)
    }

    @Test("the list pages by id with the total, and q matches name or email case-insensitively, as text")
    func listAndSearch() async throws {
        try await self.withRepository { repository, _ in
            for index in 1...25 { try await self.create(repository, String(format: "user%02d", index)) }
            try await self.create(repository, "per%cent")

            let page = try await repository.list(UserListQuery(offset: 20, limit: 10))
            #expect(page.users.map(\.username) == ["user21", "user22", "user23", "user24", "user25", "per%cent"])
            #expect(page.total == 26 && page.totalIsExact && page.next == nil)
            #expect(try await repository.list(UserListQuery(text: "USER1", limit: 100)).users.map(\.username) == (10...19).map { "user\($0)" })
            #expect(try await repository.list(UserListQuery(text: "@EXAMPLE.com", limit: 5)).total == 26)
            #expect(try await repository.list(UserListQuery(text: "%", limit: 100)).users.map(\.username) == ["per%cent"])
            #expect(try await repository.list(UserListQuery(text: "_", limit: 100)).total == 0)
            #expect(try await repository.list(UserListQuery(text: "a\u{0}b", limit: 100)) == UserPage(users: [], total: 0))
            let past = try await repository.list(UserListQuery(text: "user", offset: 100, limit: 10))
            #expect(past.users.isEmpty && past.total == 25)
        }
    }

    @Test("a role change replaces the roles; disable and enable set and clear disabledAt; delete removes the user and its role rows")
    func changes() async throws {
        try await self.withRepository { repository, client in
            let admin = try await self.create(repository, "boss", roles: [.user, .admin])
            let alice = try await self.create(repository, "alice")

            let before = try await self.apply(repository, .replaceRoles([.user, .moderator]), to: alice, by: admin)
            #expect(before.roles == [.user])
            #expect(try await repository.find(id: alice)?.roles == [.user, .moderator])

            _ = try await self.apply(repository, .disable, to: alice, by: admin)
            let disabled = try #require(try await repository.summary(id: alice))
            #expect(disabled.disabledAt != nil)
            #expect(try await repository.find(username: "alice")?.disabled == true)
            _ = try await self.apply(repository, .disable, to: alice, by: admin)
            #expect(try await repository.summary(id: alice)?.disabledAt == disabled.disabledAt, "disabling again keeps the first time")
            _ = try await self.apply(repository, .enable, to: alice, by: admin)
            #expect(try await repository.summary(id: alice)?.disabledAt == nil)
            #expect(try await repository.find(id: alice)?.disabled == false)

            _ = try await self.apply(repository, .delete, to: alice, by: admin)
            #expect(try await repository.find(id: alice) == nil)
            #expect(try await column(client, #"SELECT count(*)::text FROM user_roles WHERE "userId" = \#(alice)"#) == ["0"])
            await #expect(throws: AccountChangeRefused(code: .notFound)) { try await self.apply(repository, .disable, to: alice, by: admin) }
        }
    }

    @Test("beforeCommit sees the account as it was, and when it fails nothing changes")
    func beforeCommitFailureRollsBack() async throws {
        struct RedisDown: Error {}
        try await self.withRepository { repository, _ in
            let admin = try await self.create(repository, "boss", roles: [.user, .admin])
            let alice = try await self.create(repository, "alice")
            await #expect(throws: RedisDown.self) {
                try await repository.apply(.replaceRoles([.moderator]), toUserID: alice, actorID: admin) { seen in
                    #expect(seen.roles == [.user])
                    throw RedisDown()
                }
            }
            #expect(try await repository.find(id: alice)?.roles == [.user])
            await #expect(throws: RedisDown.self) {
                try await repository.apply(.delete, toUserID: alice, actorID: admin) { _ in throw RedisDown() }
            }
            #expect(try await repository.find(id: alice) != nil)
        }
    }

    @Test("the last enabled admin cannot lose admin, be disabled or be deleted; a caller who is no enabled admin is refused")
    func lastAdmin() async throws {
        try await self.withRepository { repository, client in
            let boss = try await self.create(repository, "boss", roles: [.user, .admin])
            let other = try await self.create(repository, "other", roles: [.admin])
            let alice = try await self.create(repository, "alice")

            for change in [AccountChange.replaceRoles([.user]), .disable, .delete] {
                _ = try await self.apply(repository, .disable, to: other, by: boss)
                await #expect(throws: AccountChangeRefused(code: .lastAdmin), "\(change)") {
                    try await self.apply(repository, change, to: boss, by: boss)
                }
                _ = try await self.apply(repository, .enable, to: other, by: boss)
            }
            #expect(try await self.admins(client) == ["boss", "other"])
            // With a second enabled admin, one may step down.
            _ = try await self.apply(repository, .replaceRoles([.user]), to: boss, by: boss)
            #expect(try await self.admins(client) == ["other"])
            await #expect(throws: AccountChangeRefused(code: .actorNotAdmin)) { try await self.apply(repository, .disable, to: alice, by: boss) }
            await #expect(throws: AccountChangeRefused(code: .actorNotAdmin)) { try await self.apply(repository, .enable, to: alice, by: 999_999) }
        }
    }

    @Test("admins stepping down all at once, round after round: exactly one of them stays admin every time")
    func concurrentDemotions() async throws {
        try await self.withRepository { repository, client in
            for round in 0..<6 {
                let ids = try await withThrowingTaskGroup(of: Int.self) { group in
                    for index in 0..<4 { group.addTask { try await self.create(repository, "r\(round)admin\(index)", roles: [.admin]) } }
                    return try await group.reduce(into: [Int]()) { $0.append($1) }
                }
                // Only this round's admins: the previous round's last one steps down first, alone.
                if round > 0 {
                    let previous = try await column(client, #"SELECT u.id::text FROM users u JOIN user_roles ur ON ur."userId" = u.id AND ur."roleId" = 3 WHERE u.username LIKE \#("r\(round - 1)admin%")"#)
                    for id in previous.compactMap(Int.init) { _ = try await self.apply(repository, .replaceRoles([.user]), to: id, by: id) }
                }
                let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                    for id in ids {
                        group.addTask {
                            do {
                                _ = try await self.apply(repository, .replaceRoles([.user]), to: id, by: id)
                                return true
                            } catch let refused as AccountChangeRefused {
                                #expect(refused.code == .lastAdmin)
                                return false
                            }
                        }
                    }
                    return try await group.reduce(into: [Bool]()) { $0.append($1) }
                }
                #expect(outcomes.filter { $0 }.count == 3, "round \(round): \(outcomes)")
                #expect(try await self.admins(client).count == 1, "round \(round)")
            }
        }
    }

    @Test("two admins disabling each other at once: one wins, the other is no admin by the time its change runs")
    func concurrentMutualDisable() async throws {
        try await self.withRepository { repository, client in
            for round in 0..<6 {
                let a = try await self.create(repository, "a\(round)", roles: [.admin])
                let b = try await self.create(repository, "b\(round)", roles: [.admin])
                async let first: Bool = (try? await self.apply(repository, .disable, to: b, by: a)) != nil
                async let second: Bool = (try? await self.apply(repository, .disable, to: a, by: b)) != nil
                let (one, two) = await (first, second)
                #expect(one != two, "round \(round): exactly one disable succeeds")
                let enabled = try await self.admins(client)
                #expect(enabled.contains("a\(round)") != enabled.contains("b\(round)"), "round \(round): \(enabled)")
            }
        }
    }
}
