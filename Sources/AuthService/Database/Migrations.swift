import Common
import Logging
import PostgresNIO

/// One versioned schema step. Steps only ever add: no table, column or row is dropped.
struct Migration: Sendable {
    var version: Int
    var name: String
    var statements: [PostgresQuery]
}

/// Applies pending migrations at start, under an advisory lock so that replicas starting together
/// take turns, each step in its own transaction.
struct Migrator: Sendable {
    /// Arbitrary, fixed: every replica of the auth service contends on the same lock.
    static let advisoryLockKey = 7_274_310_001

    let client: PostgresClient
    let logger: Logger

    func migrate(_ migrations: [Migration] = Migration.all) async throws {
        try await self.client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(Self.advisoryLockKey))", logger: self.logger)
            do {
                try await self.applyPending(migrations, on: connection)
                try await connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))", logger: self.logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: self.logger)
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))", logger: self.logger)
                throw error
            }
        }
    }

    private func applyPending(_ migrations: [Migration], on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS auth_schema_migrations (
                version INTEGER PRIMARY KEY, name TEXT NOT NULL, "appliedAt" TIMESTAMPTZ NOT NULL DEFAULT now())
            """,
            logger: self.logger
        )
        var applied = Set<Int>()
        for try await version in try await connection.query("SELECT version FROM auth_schema_migrations", logger: self.logger).decode(Int.self) {
            applied.insert(version)
        }
        for migration in migrations.sorted(by: { $0.version < $1.version }) where !applied.contains(migration.version) {
            try await connection.query("BEGIN", logger: self.logger)
            for statement in migration.statements {
                do {
                    try await connection.query(statement, logger: self.logger)
                } catch let error as PSQLError {
                    throw MigrationError(migration: migration, reason: error.serverInfo?[.message] ?? "\(error.code)")
                }
            }
            try await connection.query(
                "INSERT INTO auth_schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                logger: self.logger
            )
            try await connection.query("COMMIT", logger: self.logger)
            self.logger.info("Applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
        }
    }
}

/// A migration step the database refused, with PostgreSQL's own reason (for instance two usernames
/// differing only in case, which the unique index cannot accept).
struct MigrationError: Error, CustomStringConvertible {
    var migration: Migration
    var reason: String
    var description: String { "migration \(self.migration.version) (\(self.migration.name)) failed: \(self.reason)" }
}

extension Migration {
    static let all: [Migration] = [
        Migration(
            version: 1,
            name: "tutorial tables",
            statements: [
                // The tables exactly as the tutorial's Sequelize models create them, when absent.
                """
                CREATE TABLE IF NOT EXISTS users (
                    id SERIAL PRIMARY KEY, username VARCHAR(255), email VARCHAR(255), password VARCHAR(255),
                    "createdAt" TIMESTAMPTZ NOT NULL, "updatedAt" TIMESTAMPTZ NOT NULL)
                """,
                """
                CREATE TABLE IF NOT EXISTS roles (
                    id INTEGER PRIMARY KEY, name VARCHAR(255),
                    "createdAt" TIMESTAMPTZ NOT NULL, "updatedAt" TIMESTAMPTZ NOT NULL)
                """,
                """
                CREATE TABLE IF NOT EXISTS user_roles (
                    "createdAt" TIMESTAMPTZ NOT NULL, "updatedAt" TIMESTAMPTZ NOT NULL,
                    "roleId" INTEGER REFERENCES roles (id) ON DELETE CASCADE ON UPDATE CASCADE,
                    "userId" INTEGER REFERENCES users (id) ON DELETE CASCADE ON UPDATE CASCADE,
                    PRIMARY KEY ("roleId", "userId"))
                """,
            ]
        ),
        Migration(
            version: 2,
            name: "role rows",
            statements: [
                """
                INSERT INTO roles (id, name, "createdAt", "updatedAt")
                VALUES (1, 'user', now(), now()), (2, 'moderator', now(), now()), (3, 'admin', now(), now())
                ON CONFLICT (id) DO NOTHING
                """
            ]
        ),
        Migration(
            version: 3,
            name: "case-insensitive unique username and email",
            statements: [
                "CREATE UNIQUE INDEX IF NOT EXISTS users_username_lower_key ON users (lower(username))",
                "CREATE UNIQUE INDEX IF NOT EXISTS users_email_lower_key ON users (lower(email))",
            ]
        ),
    ]
}
