import Common
import Logging
import PostgresNIO

/// One versioned schema step. Steps only ever add: no table, column or row is dropped.
struct Migration: Sendable {
    var version: Int
    var name: String
    var steps: [Step]

    /// One statement, or work that needs Swift (computing normalised keys row by row).
    struct Step: Sendable {
        let run: @Sendable (PostgresConnection, Logger) async throws -> Void

        static func sql(_ statement: PostgresQuery) -> Step {
            Step { connection, logger in _ = try await connection.query(statement, logger: logger) }
        }
    }

    init(version: Int, name: String, steps: [Step]) {
        self.version = version
        self.name = name
        self.steps = steps
    }

    init(version: Int, name: String, statements: [PostgresQuery]) {
        self.init(version: version, name: name, steps: statements.map(Step.sql))
    }
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
                let applied = try await self.applyPending(migrations, on: connection)
                if applied.contains(UserKeyBackfill.migrationVersion) {
                    // Rows an earlier version wrote during a rolling upgrade get their keys now.
                    try await connection.query("BEGIN", logger: self.logger)
                    try await UserKeyBackfill(logger: self.logger).run(on: connection)
                    try await connection.query("COMMIT", logger: self.logger)
                }
                if applied.contains(LookalikeBackfill.migrationVersion) {
                    // And their lookalike skeletons.
                    try await connection.query("BEGIN", logger: self.logger)
                    try await LookalikeBackfill(logger: self.logger).run(on: connection)
                    try await connection.query("COMMIT", logger: self.logger)
                }
                try await connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))", logger: self.logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: self.logger)
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))", logger: self.logger)
                throw error
            }
        }
    }

    /// Applies what is missing; returns every version applied by now.
    private func applyPending(_ migrations: [Migration], on connection: PostgresConnection) async throws -> Set<Int> {
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
            for step in migration.steps {
                do {
                    try await step.run(connection, self.logger)
                } catch let error as PSQLError {
                    throw MigrationError(migration: migration, reason: error.serverInfo?[.message] ?? "\(error.code)")
                } catch {
                    throw MigrationError(migration: migration, reason: "\(error)")
                }
            }
            try await connection.query(
                "INSERT INTO auth_schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                logger: self.logger
            )
            try await connection.query("COMMIT", logger: self.logger)
            applied.insert(migration.version)
            self.logger.info("Applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
        }
        return applied
    }
}

/// A migration step that failed, with the reason: PostgreSQL's own (for instance two usernames
/// differing only in case, which a unique index cannot accept) or ours (rows that are the same
/// after normalisation, listed).
struct MigrationError: Error, CustomStringConvertible {
    var migration: Migration
    var reason: String
    var description: String { "migration \(self.migration.version) (\(self.migration.name)) failed: \(self.reason)" }
}

extension Migration {
    /// Every migration, existing accounts counted as verified by migration 10.
    static let all: [Migration] = Migration.all(existingEmailsVerified: true)

    /// Every migration; `existingEmailsVerified` is what migration 10 makes of the accounts it finds.
    static func all(existingEmailsVerified: Bool) -> [Migration] { Migration.base + Migration.mail(existingEmailsVerified: existingEmailsVerified) }

    private static let base: [Migration] = [
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
        Migration(
            version: UserKeyBackfill.migrationVersion,
            name: "normalised username and email keys",
            steps: [
                .sql(
                    """
                    ALTER TABLE users ADD COLUMN IF NOT EXISTS username_key TEXT,
                        ADD COLUMN IF NOT EXISTS username_skeleton TEXT, ADD COLUMN IF NOT EXISTS email_key TEXT
                    """
                ),
                // Every existing row gets its keys; rows that collide stop the migration, named.
                Migration.Step { connection, logger in try await UserKeyBackfill(logger: logger).run(on: connection) },
                .sql("CREATE UNIQUE INDEX IF NOT EXISTS users_username_key_key ON users (username_key)"),
                .sql("CREATE UNIQUE INDEX IF NOT EXISTS users_username_skeleton_key ON users (username_skeleton)"),
                .sql("CREATE UNIQUE INDEX IF NOT EXISTS users_email_key_key ON users (email_key)"),
            ]
        ),
    ] + Migration.accounts + [
        Migration(
            version: LookalikeBackfill.migrationVersion,
            name: "lookalike skeleton of the name as typed",
            steps: [
                .sql("ALTER TABLE users ADD COLUMN IF NOT EXISTS username_lookalike TEXT"),
                // Existing rows that look alike are both kept and listed in a warning.
                Migration.Step { connection, logger in try await LookalikeBackfill(logger: logger).run(on: connection) },
                // Empty: a kept lookalike of an earlier row, which holds no skeleton.
                .sql("CREATE UNIQUE INDEX IF NOT EXISTS users_username_lookalike_key ON users (username_lookalike) WHERE username_lookalike <> ''"),
            ]
        )
    ] + Migration.scale
}
