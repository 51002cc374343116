import Common
import Foundation
import Logging
import PostgresNIO

/// What admins read and change. Every change that could remove an admin runs in a transaction
/// under one advisory lock (``rosterLockKey``), so the last-admin rule holds under concurrency: each
/// change sees every change committed before it.
extension PostgresUserRepository {
    /// Arbitrary, fixed: every replica's account changes contend on it.
    static let rosterLockKey = 7_274_310_002

    private static let selectSummary = """
        SELECT u.id, u.username, u.email, \(rolesOfUser), u."disabledAt", u."createdAt", u."emailVerifiedAt" IS NOT NULL
        FROM users u
        """

    func summary(id: Int) async throws -> UserSummary? {
        let logger = self.logger
        return try await self.database.run("find user summary") { connection, _ in
            try await Self.summary(id: id, on: connection, logger: logger)
        }
    }

    func apply(
        _ change: AccountChange, toUserID userID: Int, actorID: Int,
        beforeCommit: @escaping @Sendable (UserSummary) async throws -> Void
    ) async throws -> AppliedAccountChange {
        let logger = self.logger
        return try await self.database.run("change account") { connection, deadline in
            try await connection.query("BEGIN", logger: logger)
            do {
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.rosterLockKey))", logger: logger)
                // Each statement from here sees every change committed before the lock was ours.
                let (actorIsAdmin, otherAdmins) = try await Self.enabledAdmins(actorID: actorID, besides: userID, on: connection, logger: logger)
                guard actorIsAdmin else { throw AccountChangeRefused(code: .actorNotAdmin) }
                guard let before = try await Self.summary(id: userID, on: connection, logger: logger) else {
                    throw AccountChangeRefused(code: .notFound)
                }
                if before.isEnabledAdmin, !change.leavesEnabledAdmin(before), otherAdmins == 0 {
                    throw AccountChangeRefused(code: .lastAdmin)
                }
                guard let epoch = try await Self.write(change, userID: userID, notAfter: deadline.date, on: connection, logger: logger) else {
                    throw DatabaseUnavailable(code: .writeDeadlinePassed, operation: "change account")
                }
                try await beforeCommit(before)
                try await connection.query("COMMIT", logger: logger)
                return AppliedAccountChange(before: before, epoch: epoch)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    /// Whether the actor is an enabled admin, and how many enabled admins there are besides the target.
    private static func enabledAdmins(
        actorID: Int, besides userID: Int, on connection: PostgresConnection, logger: Logger
    ) async throws -> (Bool, Int) {
        let rows = try await connection.query(
            """
            SELECT COALESCE(bool_or(u.id = \(actorID)), false), count(*) FILTER (WHERE u.id <> \(userID))
            FROM users u JOIN user_roles ur ON ur."userId" = u.id AND ur."roleId" = \(Role.admin.id)
            WHERE u."disabledAt" IS NULL
            """,
            logger: logger
        )
        var result = (false, 0)
        for try await row in rows.decode((Bool, Int).self) { result = row }
        return result
    }

    /// The change as one statement that acts only before `notAfter`, advancing the credential epoch
    /// (enable excepted: it ends nothing); the epoch after it, `nil` when it did nothing.
    private static func write(
        _ change: AccountChange, userID: Int, notAfter: Date, on connection: PostgresConnection, logger: Logger
    ) async throws -> Int? {
        let query: PostgresQuery
        switch change {
        case .replaceRoles(let roles):
            let ids = roles.map(\.id)
            query = """
                WITH gate AS (SELECT clock_timestamp() < \(notAfter) AS open),
                removed AS (
                    DELETE FROM user_roles WHERE "userId" = \(userID) AND NOT ("roleId" = ANY(\(ids)::integer[])) AND (SELECT open FROM gate)
                ), added AS (
                    INSERT INTO user_roles ("roleId", "userId", "createdAt", "updatedAt")
                    SELECT role_id, \(userID), now(), now() FROM unnest(\(ids)::integer[]) AS role_id WHERE (SELECT open FROM gate)
                    ON CONFLICT DO NOTHING
                )
                UPDATE users SET "updatedAt" = now(), "credentialEpoch" = "credentialEpoch" + 1
                WHERE id = \(userID) AND (SELECT open FROM gate) RETURNING "credentialEpoch"
                """
        case .disable:
            query = #"""
                UPDATE users SET "disabledAt" = COALESCE("disabledAt", now()), "credentialEpoch" = "credentialEpoch" + 1, "updatedAt" = now()
                WHERE id = \#(userID) AND clock_timestamp() < \#(notAfter) RETURNING "credentialEpoch"
                """#
        case .enable:
            query = #"""
                UPDATE users SET "disabledAt" = NULL, "updatedAt" = now()
                WHERE id = \#(userID) AND clock_timestamp() < \#(notAfter) RETURNING "credentialEpoch"
                """#
        case .delete:
            // The role rows go with it (ON DELETE CASCADE). The epoch it would have had next is what
            // the revocations that follow refuse below.
            query = #"DELETE FROM users WHERE id = \#(userID) AND clock_timestamp() < \#(notAfter) RETURNING "credentialEpoch" + 1"#
        }
        var epoch: Int?
        for try await value in try await connection.query(query, logger: logger).decode(Int.self) { epoch = value }
        return epoch
    }

    private static func summary(id: Int, on connection: PostgresConnection, logger: Logger) async throws -> UserSummary? {
        let rows = try await connection.query("\(unescaped: Self.selectSummary) WHERE u.id = \(id)", logger: logger)
        var found: UserSummary?
        for try await (id, username, email, roles, disabledAt, createdAt, verified) in rows.decode(
            (Int, String?, String?, [String], Date?, Date, Bool).self
        ) {
            found = Self.summary(id, username, email, roles, disabledAt, createdAt, verified)
        }
        return found
    }

    static func summary(
        _ id: Int, _ username: String?, _ email: String?, _ roles: [String], _ disabledAt: Date?, _ createdAt: Date, _ verified: Bool
    ) -> UserSummary {
        UserSummary(
            id: id, username: username ?? "", email: email ?? "", roles: roles.compactMap(Role.init(rawValue:)),
            disabledAt: disabledAt, createdAt: createdAt, emailVerified: verified
        )
    }
}
