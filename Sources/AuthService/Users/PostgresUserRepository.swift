import Common
import Foundation
import Logging
import PostgresNIO

/// Users in the tutorial's tables (`users`, `roles`, `user_roles`, camelCase quoted columns), found
/// and kept unique by their normalised keys. Every operation is one statement under a deadline
/// (``TimeBoundDatabase``); every write also carries that deadline into the statement.
struct PostgresUserRepository: UserRepository {
    let database: TimeBoundDatabase
    let logger: Logger
    /// Read by the user search, shared by every copy of this repository.
    let commonTrigrams = CommonTrigrams()

    init(database: TimeBoundDatabase, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    init(client: PostgresClient, logger: Logger) {
        self.init(database: TimeBoundDatabase(client: client), logger: logger)
    }

    /// The user with its roles in one statement, so that a read is one bounded wait.
    private static let selectUser = """
        SELECT u.id, u.username, u.email, u.password, \(Self.rolesOfUser), u."disabledAt" IS NOT NULL, u."credentialEpoch",
            u."emailVerifiedAt" IS NOT NULL,
            EXISTS (SELECT 1 FROM auth_totp_factors f WHERE f."userId" = u.id AND f."confirmedAt" IS NOT NULL)
        FROM users u
        """

    /// The role names of the user `u`, as a text array (empty when none).
    static let rolesOfUser = """
        COALESCE((SELECT array_agg(r.name::text ORDER BY r.id) FROM roles r JOIN user_roles ur ON ur."roleId" = r.id
                  WHERE ur."userId" = u.id AND r.name IS NOT NULL), '{}'::text[])
        """

    func find(username: String) async throws -> UserRecord? {
        // U+0000 cannot be stored, so no account has it; PostgreSQL would refuse the statement.
        guard PostgresText.canStore(username) else { return nil }
        let key = try UsernameProfile.key(of: username)
        // A row written by an earlier version during a rolling upgrade has no key until the next start.
        let query: PostgresQuery = """
            \(unescaped: Self.selectUser)
            WHERE u.username_key = \(key) OR (u.username_key IS NULL AND lower(u.username) = lower(\(username)))
            ORDER BY (u.username_key IS NULL), u.id LIMIT 1
            """
        return try await self.record(query, operation: "find user by name")
    }

    func find(id: Int) async throws -> UserRecord? {
        return try await self.record("\(unescaped: Self.selectUser) WHERE u.id = \(id)", operation: "find user by id")
    }

    private func record(_ query: PostgresQuery, operation: String) async throws -> UserRecord? {
        let logger = self.logger
        return try await self.database.run(operation) { connection, _ in
            let rows = try await connection.query(query, logger: logger)
            var record: UserRecord?
            for try await (id, username, email, password, roles, disabled, epoch, verified, factor) in rows.decode(
                (Int, String?, String?, String?, [String], Bool, Int, Bool, Bool).self
            ) {
                record = UserRecord(
                    id: id, username: username ?? "", email: email ?? "", passwordHash: password ?? "",
                    roles: roles.compactMap(Role.init(rawValue:)), disabled: disabled, credentialEpoch: epoch, emailVerified: verified,
                    secondFactorEnabled: factor
                )
            }
            return record
        }
    }

    func conflict(username: String, email: String) async throws -> UserConflict.Field? {
        guard PostgresText.canStore(username), PostgresText.canStore(email) else { return nil }
        let keys = try AccountKeys(username: username, email: email)
        let logger = self.logger
        return try await self.database.run("check for taken names") { connection, _ in
            let rows = try await connection.query(
                """
                SELECT bool_or(username_key = \(keys.username) OR username_skeleton = \(keys.usernameSkeleton)
                               OR username_lookalike = \(keys.usernameLookalike)),
                       bool_or(email_key = \(keys.email))
                FROM users
                WHERE username_key = \(keys.username) OR username_skeleton = \(keys.usernameSkeleton)
                    OR (username_lookalike = \(keys.usernameLookalike) AND username_lookalike <> '') OR email_key = \(keys.email)
                """,
                logger: logger
            )
            var taken: UserConflict.Field?
            for try await (usernameTaken, emailTaken) in rows.decode((Bool?, Bool?).self) {
                taken = usernameTaken == true ? .username : emailTaken == true ? .email : nil
            }
            return taken
        }
    }

    func create(_ user: NewUser) async throws -> Int {
        try await self.database.run("create user") { connection, deadline in
            try await self.insert(user, notAfter: deadline.date, on: connection)
        }
    }

    /// One statement inserts the user and its roles, and only while `clock_timestamp()` is before
    /// `notAfter`: executed late (a server that stalled and resumed after the caller gave up), it
    /// inserts nothing.
    func insert(_ user: NewUser, notAfter: Date, on connection: PostgresConnection) async throws -> Int {
        let keys = try AccountKeys(username: user.username, email: user.email)
        let roleIDs = user.roles.map(\.id)
        do {
            let rows = try await connection.query(
                """
                WITH new_user AS (
                    INSERT INTO users (
                        username, email, password, username_key, username_skeleton, username_lookalike, email_key, "createdAt", "updatedAt",
                        "emailVerifiedAt")
                    SELECT \(user.username), \(user.email), \(user.passwordHash), \(keys.username), \(keys.usernameSkeleton),
                        \(keys.usernameLookalike), \(keys.email), now(), now(), CASE WHEN \(user.emailVerified) THEN now() END
                    WHERE clock_timestamp() < \(notAfter)
                    RETURNING id
                ), granted AS (
                    INSERT INTO user_roles ("roleId", "userId", "createdAt", "updatedAt")
                    SELECT role_id, new_user.id, now(), now() FROM new_user, unnest(\(roleIDs)::integer[]) AS role_id
                )
                SELECT id FROM new_user
                """,
                logger: self.logger
            )
            var id: Int?
            for try await value in rows.decode(Int.self) { id = value }
            if let id { return id }
        } catch {
            if let conflict = Self.uniqueViolation(in: error) { throw conflict }
            throw error
        }
        throw DatabaseUnavailable(code: .writeDeadlinePassed, operation: "create user")
    }

    /// A duplicate caught by the unique indexes: concurrent signups of one name end here.
    static func uniqueViolation(in error: any Error) -> UserConflict? {
        guard let info = (error as? PSQLError)?.serverInfo, info[.sqlState] == "23505" else { return nil }
        return UserConflict(field: info[.constraintName]?.contains("email") == true ? .email : .username)
    }

    func changePassword(userID: Int, replacing current: String, at epoch: Int, with new: String) async throws -> PasswordWrite {
        let logger = self.logger
        // One statement: the deadline is decided once (`gate`), so "too late", "lost" and "the account
        // changed" are told apart, and a late write changes nothing. The last column reads the row as
        // the statement found it.
        return try await self.database.run("change password") { connection, deadline in
            let rows = try await connection.query(
                """
                WITH gate AS (SELECT clock_timestamp() < \(deadline.date) AS open),
                changed AS (
                    UPDATE users SET password = \(new), "credentialEpoch" = "credentialEpoch" + 1, "updatedAt" = now()
                    WHERE id = \(userID) AND password = \(current) AND "credentialEpoch" = \(epoch) AND "disabledAt" IS NULL
                        AND (SELECT open FROM gate)
                    RETURNING "credentialEpoch"
                )
                SELECT (SELECT "credentialEpoch" FROM changed), (SELECT open FROM gate),
                    COALESCE((SELECT password = \(current) AND "disabledAt" IS NULL FROM users WHERE id = \(userID)), false)
                """,
                logger: logger
            )
            var answer: (epoch: Int?, inTime: Bool, sameHash: Bool)?
            for try await row in rows.decode((Int?, Bool, Bool).self) { answer = row }
            guard let answer else { throw UserRepositoryError(message: "change password: no row") }
            if let epoch = answer.epoch { return .changed(epoch: epoch) }
            guard answer.inTime else { throw DatabaseUnavailable(code: .writeDeadlinePassed, operation: "change password") }
            return answer.sameHash ? .accountChanged : .lost
        }
    }

    func upgradePasswordHash(userID: Int, replacing current: String, with new: String) async throws {
        let logger = self.logger
        try await self.database.run("upgrade password hash") { connection, deadline in
            _ = try await connection.query(
                #"""
                UPDATE users SET password = \#(new), "updatedAt" = now()
                WHERE id = \#(userID) AND password = \#(current) AND clock_timestamp() < \#(deadline.date)
                """#,
                logger: logger
            )
        }
    }

    func advanceCredentialEpoch(userID: Int) async throws -> Int? {
        try await self.writingEpoch("advance credential epoch") { deadline in
            """
            WITH gate AS (SELECT clock_timestamp() < \(deadline) AS open),
            advanced AS (
                UPDATE users SET "credentialEpoch" = "credentialEpoch" + 1 WHERE id = \(userID) AND (SELECT open FROM gate)
                RETURNING "credentialEpoch"
            )
            SELECT (SELECT "credentialEpoch" FROM advanced), (SELECT open FROM gate)
            """
        }
    }

    /// Runs a statement answering (the new epoch or NULL, whether it ran before its deadline): the
    /// epoch; `nil` when it ran in time but matched nothing; ``DatabaseUnavailable`` when it ran late.
    private func writingEpoch(_ operation: String, _ statement: @escaping @Sendable (Date) -> PostgresQuery) async throws -> Int? {
        let logger = self.logger
        return try await self.database.run(operation) { connection, deadline in
            var answer: (epoch: Int?, inTime: Bool)?
            for try await row in try await connection.query(statement(deadline.date), logger: logger).decode((Int?, Bool).self) {
                answer = row
            }
            guard let answer else { throw UserRepositoryError(message: "\(operation): no row") }
            if let epoch = answer.epoch { return epoch }
            guard answer.inTime else { throw DatabaseUnavailable(code: .writeDeadlinePassed, operation: operation) }
            return nil
        }
    }

    func grant(_ role: Role, toUserID userID: Int) async throws -> Int? {
        let logger = self.logger
        return try await self.database.run("grant role") { connection, deadline in
            let rows = try await connection.query(
                #"""
                WITH granted AS (
                    INSERT INTO user_roles ("roleId", "userId", "createdAt", "updatedAt")
                    SELECT \#(role.id), \#(userID), now(), now() WHERE clock_timestamp() < \#(deadline.date)
                    ON CONFLICT DO NOTHING
                    RETURNING "userId"
                )
                UPDATE users SET "credentialEpoch" = "credentialEpoch" + 1, "updatedAt" = now()
                WHERE id IN (SELECT "userId" FROM granted)
                RETURNING "credentialEpoch"
                """#,
                logger: logger
            )
            var epoch: Int?
            for try await value in rows.decode(Int.self) { epoch = value }
            return epoch
        }
    }
}

/// The database answered something we did not expect.
struct UserRepositoryError: Error {
    var message: String
}
