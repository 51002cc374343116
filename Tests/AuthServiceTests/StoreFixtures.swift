@testable import AuthService
import Common
import Foundation
import Logging
import PostgresNIO
import Testing

/// Quiet: PostgresNIO logs each connection a cancelled pool was still opening.
let storeLogger: Logger = {
    var logger = Logger(label: "store-tests")
    logger.logLevel = .warning
    return logger
}()

/// Runs `body` against a database of its own, created for this test on the PostgreSQL that
/// `make test` starts (TEST_DATABASE_URL, whose role has CREATEDB) and dropped afterwards.
func withTestDatabase(_ body: (PostgresClient) async throws -> Void) async throws {
    let adminURL = try #require(
        ProcessInfo.processInfo.environment["TEST_DATABASE_URL"],
        "TEST_DATABASE_URL must point at the PostgreSQL that make test starts"
    )
    var components = try #require(URLComponents(string: adminURL))
    let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    components.path = "/" + name
    let testURL = try #require(components.string)

    try await revealingServerErrors {
        try await withPostgresClient(url: adminURL) { admin in
            // The name is ours and alphanumeric: safe to splice, as identifiers cannot be bound.
            try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: storeLogger)
            let outcome: Result<Void, any Error>
            do {
                try await withPostgresClient(url: testURL, body)
                outcome = .success(())
            } catch {
                outcome = .failure(error)
            }
            try await admin.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: storeLogger)
            try outcome.get()
        }
    }
}

/// A failing test names what PostgreSQL said: `PSQLError`'s description hides it on purpose.
private func revealingServerErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as PSQLError {
        throw RevealedPostgresError(details: String(reflecting: error))
    }
}

private struct RevealedPostgresError: Error, CustomStringConvertible {
    var details: String
    var description: String { self.details }
}

/// A database of its own (``withTestDatabase(_:)``) with every migration applied.
func withMigratedDatabase(_ body: (PostgresClient) async throws -> Void) async throws {
    try await withTestDatabase { client in
        try await Migrator(client: client, logger: storeLogger).migrate()
        try await body(client)
    }
}

/// A migrated database of its own and a user repository over it, bounded by `timeouts`.
func withUserRepository(
    timeouts: DatabaseTimeouts = .standard,
    _ body: (PostgresUserRepository, PostgresClient) async throws -> Void
) async throws {
    try await withMigratedDatabase { client in
        try await body(PostgresUserRepository(database: TimeBoundDatabase(client: client, timeouts: timeouts), logger: storeLogger), client)
    }
}

/// A client whose connection pool runs for the duration of `body`.
func withPostgresClient(url: String, _ body: (PostgresClient) async throws -> Void) async throws {
    let client = PostgresClient(configuration: try .init(url: url), backgroundLogger: storeLogger)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await client.run() }
        defer { group.cancelAll() }
        try await body(client)
    }
}

/// Every value of the first column of a query, as text.
func column(_ client: PostgresClient, _ query: PostgresQuery) async throws -> [String] {
    var values: [String] = []
    for try await value in try await client.query(query, logger: storeLogger).decode(String.self) {
        values.append(value)
    }
    return values
}

/// A user id no other test or run uses, since Redis keys are per user.
func randomUserID() -> Int {
    Int.random(in: 1_000_000_000...Int(Int32.max))
}
