import Common
import Logging
import PostgresNIO

/// Users in the tutorial's tables (`users`, `roles`, `user_roles`, camelCase quoted columns).
struct PostgresUserRepository: UserRepository {
    let client: PostgresClient
    let logger: Logger

    func find(username: String) async throws -> UserRecord? {
        let rows = try await self.client.query(
            """
            SELECT id, username, email, password FROM users
            WHERE lower(username) = lower(\(username))
            ORDER BY (username = \(username)) DESC, id LIMIT 1
            """,
            logger: self.logger
        )
        return try await self.record(from: rows)
    }

    func find(id: Int) async throws -> UserRecord? {
        let rows = try await self.client.query(
            "SELECT id, username, email, password FROM users WHERE id = \(id)",
            logger: self.logger
        )
        return try await self.record(from: rows)
    }

    private func record(from rows: PostgresRowSequence) async throws -> UserRecord? {
        for try await (id, username, email, password) in rows.decode((Int, String?, String?, String?).self) {
            return UserRecord(
                id: id, username: username ?? "", email: email ?? "", passwordHash: password ?? "",
                roles: try await self.roles(userID: id)
            )
        }
        return nil
    }

    private func roles(userID: Int) async throws -> [Role] {
        let rows = try await self.client.query(
            #"SELECT r.name FROM roles r JOIN user_roles ur ON ur."roleId" = r.id WHERE ur."userId" = \#(userID) ORDER BY r.id"#,
            logger: self.logger
        )
        var roles: [Role] = []
        for try await name in rows.decode(String?.self) {
            if let role = name.flatMap(Role.init(rawValue:)) { roles.append(role) }
        }
        return roles
    }

    func conflict(username: String, email: String) async throws -> UserConflict.Field? {
        let rows = try await self.client.query(
            """
            SELECT bool_or(lower(username) = lower(\(username))), bool_or(lower(email) = lower(\(email)))
            FROM users WHERE lower(username) = lower(\(username)) OR lower(email) = lower(\(email))
            """,
            logger: self.logger
        )
        for try await (usernameTaken, emailTaken) in rows.decode((Bool?, Bool?).self) {
            if usernameTaken == true { return .username }
            if emailTaken == true { return .email }
        }
        return nil
    }

    func create(_ user: NewUser) async throws -> Int {
        do {
            return try await self.client.withTransaction(logger: self.logger) { connection in
                let rows = try await connection.query(
                    """
                    INSERT INTO users (username, email, password, "createdAt", "updatedAt")
                    VALUES (\(user.username), \(user.email), \(user.passwordHash), now(), now()) RETURNING id
                    """,
                    logger: self.logger
                )
                var id: Int?
                for try await value in rows.decode(Int.self) { id = value }
                guard let id else { throw UserRepositoryError(message: "INSERT returned no id") }
                for role in user.roles {
                    try await connection.query(
                        #"INSERT INTO user_roles ("roleId", "userId", "createdAt", "updatedAt") VALUES (\#(role.id), \#(id), now(), now())"#,
                        logger: self.logger
                    )
                }
                return id
            }
        } catch {
            if let conflict = Self.uniqueViolation(in: error) { throw conflict }
            throw error
        }
    }

    /// A duplicate caught by the unique indexes: concurrent signups of one name end here.
    static func uniqueViolation(in error: any Error) -> UserConflict? {
        let psqlError = (error as? PSQLError) ?? ((error as? PostgresTransactionError)?.closureError as? PSQLError)
        guard let info = psqlError?.serverInfo, info[.sqlState] == "23505" else { return nil }
        return UserConflict(field: info[.constraintName]?.contains("email") == true ? .email : .username)
    }

    func updatePasswordHash(userID: Int, hash: String) async throws {
        try await self.client.query(
            #"UPDATE users SET password = \#(hash), "updatedAt" = now() WHERE id = \#(userID)"#,
            logger: self.logger
        )
    }

    func grant(_ role: Role, toUserID userID: Int) async throws {
        try await self.client.query(
            #"""
            INSERT INTO user_roles ("roleId", "userId", "createdAt", "updatedAt")
            VALUES (\#(role.id), \#(userID), now(), now()) ON CONFLICT DO NOTHING
            """#,
            logger: self.logger
        )
    }
}

/// The database answered something we did not expect.
struct UserRepositoryError: Error {
    var message: String
}
