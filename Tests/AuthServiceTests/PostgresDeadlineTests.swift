@testable import AuthService
import Common
import Foundation
import PostgresNIO
import Testing

@Suite("Database deadlines: a stalled PostgreSQL answers 503 fast and a late write changes nothing")
struct PostgresDeadlineTests {
    /// What `body` returned or threw.
    private static func outcome<T: Sendable>(_ body: @Sendable () async throws -> T) async -> Result<T, any Error> {
        do {
            return .success(try await body())
        } catch {
            return .failure(error)
        }
    }

    private func user(_ name: String) -> NewUser {
        NewUser(username: name, email: "\(name)@example.com", passwordHash: "$argon2id$hash", roles: [.user, .moderator])
    }

    @Test("the insert statement carries its deadline: executed after it, it inserts neither the user nor its roles")
    func lateInsertChangesNothing() async throws {
        try await withUserRepository { repository, client in
            let error = await #expect(throws: DatabaseUnavailable.self) {
                try await repository.database.run("late insert") { connection, _ in
                    try await repository.insert(self.user("late"), notAfter: Date().addingTimeInterval(-1), on: connection)
                }
            }
            #expect(error?.code == .writeDeadlinePassed)
            #expect(try await column(client, "SELECT count(*)::text FROM users") == ["0"])
            #expect(try await column(client, "SELECT count(*)::text FROM user_roles") == ["0"])
            // The same statement before its deadline inserts both.
            let id = try await repository.create(self.user("timely"))
            #expect(try await repository.find(id: id)?.roles == [.user, .moderator])
        }
    }

    @Test("an INSERT held by a lock past the deadline: the caller gets 503 within the timeout, and once the lock goes the statement inserts nothing")
    func stalledInsertTimesOutAndLandsNothing() async throws {
        let timeouts = DatabaseTimeouts(operation: .seconds(2), writeMargin: .seconds(1))
        try await withUserRepository(timeouts: timeouts) { repository, client in
            // Another session holds the table, as a stalled server would hold the statement.
            try await client.withConnection { blocker in
                try await blocker.query("BEGIN", logger: storeLogger)
                try await blocker.query("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE", logger: storeLogger)
                let started = ContinuousClock.now
                let error = await #expect(throws: DatabaseUnavailable.self) {
                    try await repository.create(self.user("stalled"))
                }
                let waited = ContinuousClock.now - started
                #expect(error?.code == .timedOut)
                #expect(waited >= .seconds(2))
                #expect(waited < .milliseconds(3500))
                // The server still runs the INSERT it received once the lock is released.
                try await blocker.query("COMMIT", logger: storeLogger)
            }
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await column(client, "SELECT count(*)::text FROM users") == ["0"])
            #expect(try await column(client, "SELECT count(*)::text FROM user_roles") == ["0"])
            // The pool replaced the connection it closed: the next operation works.
            _ = try await repository.create(self.user("after"))
            #expect(try await column(client, "SELECT username FROM users") == ["after"])
        }
    }

    @Test("a password change that runs after its write deadline yet answers within the operation's: writeDeadlinePassed (503), the old hash stays")
    func latePasswordChangeIsUnavailable() async throws {
        let timeouts = DatabaseTimeouts(operation: .seconds(3), writeMargin: .seconds(2))
        try await withUserRepository(timeouts: timeouts) { repository, client in
            let id = try await repository.create(self.user("late"))
            let epoch = try #require(try await repository.find(id: id)).credentialEpoch
            // Another session holds the table for 1.5 s, as a stalled server would hold the statement:
            // it runs after its write deadline (1 s), and its answer comes before the operation's (3 s).
            let outcome: Result<PasswordWrite, any Error> = try await client.withConnection { blocker in
                try await blocker.query("BEGIN", logger: storeLogger)
                try await blocker.query("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE", logger: storeLogger)
                async let change = Self.outcome {
                    try await repository.changePassword(userID: id, replacing: "$argon2id$hash", at: epoch, with: "$argon2id$new")
                }
                try await Task.sleep(for: .milliseconds(1500))
                try await blocker.query("COMMIT", logger: storeLogger)
                return await change
            }
            let error = #expect(throws: DatabaseUnavailable.self) { try outcome.get() }
            #expect(error?.code == .writeDeadlinePassed)
            #expect(try await repository.find(id: id)?.passwordHash == "$argon2id$hash")
            #expect(try await repository.find(id: id)?.credentialEpoch == epoch)
        }
    }

    @Test("a statement that does not answer in time is abandoned at the deadline (its connection closed), not waited for")
    func slowStatementAbandoned() async throws {
        try await withMigratedDatabase { client in
            let database = TimeBoundDatabase(client: client, timeouts: DatabaseTimeouts(operation: .seconds(1), writeMargin: .milliseconds(500)))
            let started = ContinuousClock.now
            await #expect(throws: DatabaseUnavailable.self) {
                try await database.run("sleep") { connection, _ in
                    _ = try await connection.query("SELECT pg_sleep(5)", logger: storeLogger)
                }
            }
            #expect(ContinuousClock.now - started < .seconds(3))
        }
    }

    @Test("the deadline of an operation that finished in time never touches its connection, reused by the next one")
    func finishedOperationsDeadlineLeavesTheConnectionAlone() async throws {
        try await withTestDatabase { client in
            let database = TimeBoundDatabase(client: client, timeouts: DatabaseTimeouts(operation: .seconds(4), writeMargin: .milliseconds(100)))
            let backend: @Sendable (PostgresConnection, TimeBoundDatabase.WriteDeadline) async throws -> String = { connection, _ in
                var pid = ""
                for try await value in try await connection.query("SELECT pg_backend_pid()::text", logger: storeLogger).decode(String.self) {
                    pid = value
                }
                return pid
            }
            // The pool's one connection is opened first (with a limit that only bounds a failure), so
            // that the quick operation's limit times the statement, not a connect on a busy machine.
            // Then one quick operation, and one on the same pooled connection that outlives the quick
            // one's deadline: when that deadline passes it must find nothing to close.
            let opened = try await database.run("open", limit: .seconds(30), backend)
            let first = try await database.run("quick", limit: .seconds(1), backend)
            #expect(first == opened)
            let second = try await database.run("slower") { connection, deadline in
                _ = try await connection.query("SELECT pg_sleep(1.5)", logger: storeLogger)
                return try await backend(connection, deadline)
            }
            #expect(second == first, "the second operation did not reuse the pooled connection")
            #expect(try await database.run("after", backend) == first)
        }
    }

    @Test("a name with U+0000 is simply not found, without a statement PostgreSQL would refuse")
    func nulNameNotFound() async throws {
        try await withUserRepository { repository, _ in
            _ = try await repository.create(self.user("alice"))
            #expect(try await repository.find(username: "ali\u{0}ce") == nil)
            #expect(try await repository.conflict(username: "ali\u{0}ce", email: "x\u{0}@example.com") == nil)
        }
    }

    @Test("8 concurrent creates of spellings that normalise alike: exactly one wins, the rest are username conflicts")
    func concurrentNormalisedSignups() async throws {
        try await withUserRepository { repository, client in
            let names = ["straße", "STRASSE", "Strasse", "strasse", "ｓｔｒａｓｓｅ", "STRAßE", "\u{0455}tra\u{0455}\u{0455}e", "ſtraſſe"]
            let outcomes = try await withThrowingTaskGroup(of: UserConflict.Field?.self) { group in
                for (index, name) in names.enumerated() {
                    group.addTask {
                        do {
                            _ = try await repository.create(NewUser(username: name, email: "racer\(index)@example.com", passwordHash: "h", roles: [.user]))
                            return nil
                        } catch let conflict as UserConflict {
                            return conflict.field
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == nil }.count == 1)
            #expect(outcomes.filter { $0 == .username }.count == 7)
            #expect(try await column(client, "SELECT count(*)::text FROM users") == ["1"])
            #expect(try await column(client, "SELECT count(*)::text FROM user_roles") == ["1"])
        }
    }
}
