import Foundation
import Logging
import PostgresNIO

/// ``SecondFactorRepository`` on PostgreSQL (migration 12).
struct PostgresSecondFactorRepository: SecondFactorRepository {
    let database: TimeBoundDatabase
    let logger: Logger

    func factor(userID: Int) async throws -> StoredFactor? {
        let logger = self.logger
        return try await self.database.run("read second factor") { connection, _ in
            let rows = try await connection.query(
                #"SELECT secret, "confirmedAt" IS NOT NULL, "lastStep" FROM auth_totp_factors WHERE "userId" = \#(userID)"#, logger: logger
            )
            var factor: StoredFactor?
            for try await (secret, confirmed, step) in rows.decode((String, Bool, Int64).self) {
                factor = StoredFactor(sealedSecret: secret, confirmed: confirmed, lastStep: step)
            }
            return factor
        }
    }

    func status(userID: Int) async throws -> FactorStatus {
        let logger = self.logger
        return try await self.database.run("read second factor status") { connection, _ in
            let rows = try await connection.query(
                """
                SELECT EXISTS (SELECT 1 FROM auth_totp_factors WHERE "userId" = \(userID) AND "confirmedAt" IS NOT NULL),
                    (SELECT count(*)::integer FROM auth_recovery_codes WHERE "userId" = \(userID) AND "usedAt" IS NULL)
                """,
                logger: logger
            )
            var status = FactorStatus(totp: false, recoveryCodesLeft: 0)
            for try await (enabled, left) in rows.decode((Bool, Int).self) {
                status = FactorStatus(totp: enabled, recoveryCodesLeft: enabled ? left : 0)
            }
            return status
        }
    }

    func enroll(userID: Int, sealedSecret: String) async throws -> Bool {
        try await self.writes("enroll second factor") { deadline in
            """
            INSERT INTO auth_totp_factors ("userId", secret)
            SELECT \(userID), \(sealedSecret) WHERE clock_timestamp() < \(deadline)
            ON CONFLICT ("userId") DO UPDATE SET secret = EXCLUDED.secret, "createdAt" = now(), "lastStep" = -1
                WHERE auth_totp_factors."confirmedAt" IS NULL
            RETURNING 1
            """
        }
    }

    func confirm(userID: Int, sealedSecret: String, step: Int64, codeHashes: [String], epoch: Int) async throws -> FactorConfirmation {
        let logger = self.logger
        return try await self.database.run("confirm second factor") { connection, deadline in
            // The account row is locked first, so a concurrent change of the epoch waits or is seen.
            let rows = try await connection.query(
                """
                WITH gate AS (SELECT clock_timestamp() < \(deadline.date) AS open),
                account AS (
                    SELECT id, "credentialEpoch" = \(epoch) AS current FROM users
                    WHERE id = \(userID) AND "disabledAt" IS NULL AND (SELECT open FROM gate) FOR UPDATE
                ),
                confirmed AS (
                    UPDATE auth_totp_factors SET "confirmedAt" = now(), "lastStep" = \(step)
                    WHERE "userId" IN (SELECT id FROM account WHERE current) AND secret = \(sealedSecret) AND "confirmedAt" IS NULL
                    RETURNING "userId"
                ),
                advanced AS (
                    UPDATE users SET "credentialEpoch" = "credentialEpoch" + 1, "updatedAt" = now()
                    WHERE id IN (SELECT "userId" FROM confirmed) RETURNING "credentialEpoch"
                ),
                cleared AS (DELETE FROM auth_recovery_codes WHERE "userId" IN (SELECT "userId" FROM confirmed)),
                stored AS (
                    INSERT INTO auth_recovery_codes ("userId", "codeHash")
                    SELECT "userId", hash FROM confirmed, unnest(\(codeHashes)::text[]) AS hash
                )
                SELECT (SELECT "credentialEpoch" FROM advanced), (SELECT open FROM gate),
                    COALESCE((SELECT current FROM account), false)
                """,
                logger: logger
            )
            var answer: (epoch: Int?, inTime: Bool, current: Bool)?
            for try await row in rows.decode((Int?, Bool, Bool).self) { answer = row }
            guard let answer else { throw UserRepositoryError(message: "confirm second factor: no row") }
            if let epoch = answer.epoch { return .enabled(epoch: epoch) }
            guard answer.inTime else { throw DatabaseUnavailable(code: .writeDeadlinePassed, operation: "confirm second factor") }
            return answer.current ? .secretChanged : .accountChanged
        }
    }

    func useStep(_ step: Int64, userID: Int, resealed: String?) async throws -> Bool {
        try await self.writes("use a TOTP step") { deadline in
            """
            UPDATE auth_totp_factors SET "lastStep" = \(step), secret = COALESCE(\(resealed), secret)
            WHERE "userId" = \(userID) AND "confirmedAt" IS NOT NULL AND "lastStep" < \(step) AND clock_timestamp() < \(deadline)
            RETURNING 1
            """
        }
    }

    func useRecoveryCode(hash: String, userID: Int) async throws -> Bool {
        try await self.writes("use a recovery code") { deadline in
            """
            UPDATE auth_recovery_codes SET "usedAt" = now()
            WHERE "userId" = \(userID) AND "codeHash" = \(hash) AND "usedAt" IS NULL AND clock_timestamp() < \(deadline)
                AND EXISTS (SELECT 1 FROM auth_totp_factors WHERE "userId" = \(userID) AND "confirmedAt" IS NOT NULL)
            RETURNING 1
            """
        }
    }

    func replaceRecoveryCodes(userID: Int, codeHashes: [String]) async throws -> Bool {
        try await self.writes("replace recovery codes") { deadline in
            """
            WITH factor AS (
                SELECT "userId" FROM auth_totp_factors
                WHERE "userId" = \(userID) AND "confirmedAt" IS NOT NULL AND clock_timestamp() < \(deadline) FOR UPDATE
            ),
            cleared AS (DELETE FROM auth_recovery_codes WHERE "userId" IN (SELECT "userId" FROM factor))
            INSERT INTO auth_recovery_codes ("userId", "codeHash")
            SELECT "userId", hash FROM factor, unnest(\(codeHashes)::text[]) AS hash
            RETURNING 1
            """
        }
    }

    func remove(userID: Int) async throws -> Int? {
        let logger = self.logger
        return try await self.database.run("remove second factor") { connection, deadline in
            let rows = try await connection.query(
                """
                WITH gate AS (SELECT clock_timestamp() < \(deadline.date) AS open),
                removed AS (
                    DELETE FROM auth_totp_factors WHERE "userId" = \(userID) AND (SELECT open FROM gate) RETURNING "userId", "confirmedAt"
                ),
                cleared AS (DELETE FROM auth_recovery_codes WHERE "userId" IN (SELECT "userId" FROM removed)),
                advanced AS (
                    UPDATE users SET "credentialEpoch" = "credentialEpoch" + 1, "updatedAt" = now()
                    WHERE id IN (SELECT "userId" FROM removed WHERE "confirmedAt" IS NOT NULL) RETURNING "credentialEpoch"
                )
                SELECT (SELECT "credentialEpoch" FROM advanced), (SELECT open FROM gate)
                """,
                logger: logger
            )
            var answer: (epoch: Int?, inTime: Bool)?
            for try await row in rows.decode((Int?, Bool).self) { answer = row }
            guard let answer else { throw UserRepositoryError(message: "remove second factor: no row") }
            guard answer.inTime else { throw DatabaseUnavailable(code: .writeDeadlinePassed, operation: "remove second factor") }
            return answer.epoch
        }
    }

    func anyFactorStored() async throws -> Bool {
        let logger = self.logger
        return try await self.database.run("look for second factors") { connection, _ in
            var any = false
            for try await value in try await connection.query("SELECT EXISTS (SELECT 1 FROM auth_totp_factors)", logger: logger).decode(Bool.self) {
                any = value
            }
            return any
        }
    }

    /// Runs a write that returns a row when it changed something; a late one changes nothing and is
    /// told apart from one that matched nothing only by its deadline, which it reports as unavailable.
    private func writes(_ operation: String, _ statement: @escaping @Sendable (Date) -> PostgresQuery) async throws -> Bool {
        let logger = self.logger
        return try await self.database.run(operation) { connection, deadline in
            var changed = false
            for try await _ in try await connection.query(statement(deadline.date), logger: logger) { changed = true }
            if !changed, Date() >= deadline.date {
                throw DatabaseUnavailable(code: .writeDeadlinePassed, operation: operation)
            }
            return changed
        }
    }
}
