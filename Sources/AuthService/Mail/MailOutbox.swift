import Common
import Foundation
import Logging
import PostgresNIO

/// One mail claimed from the outbox for one attempt.
struct OutboxMail: Sendable, Equatable {
    var id: Int64
    var kind: String
    var recipient: String
    var userID: Int?
    var parameters: [String: String]
    /// Without angle brackets; the same on every attempt, so a copy sent twice is recognisably one mail.
    var messageID: String
    /// Attempts so far, this one included.
    var attempts: Int
    /// Names this attempt: an older claim whose lease ran out cannot reschedule it.
    var claim: String
}

/// The outbox's delivery side, shared by every replica.
protocol MailOutbox: Sendable {
    /// Claims up to `limit` due mails for `lease` seconds (each replica skips what another holds).
    func claimDue(limit: Int, lease: Double) async throws -> [OutboxMail]
    /// The server took them: never sent again; their tokens leave the rows.
    func markSent(_ ids: [Int64]) async throws
    /// Not delivered: tried again in `retryAfter` seconds, or given up when `nil` (its token leaves the
    /// row). Returns whether it was given up by this call.
    func markUndelivered(_ mail: OutboxMail, error: String, retryAfter: Double?) async throws -> Bool
    /// Forgets sent mails and spent or expired tokens older than `days` days; failed mails stay for the admin.
    func purge(olderThanDays days: Int) async throws -> Int
}

/// The outbox in PostgreSQL. A claim is one statement: `FOR UPDATE SKIP LOCKED` keeps two replicas
/// off the same row, and moving `nextAttemptAt` past the lease keeps it theirs once committed.
struct PostgresMailOutbox: MailOutbox {
    let database: TimeBoundDatabase
    let logger: Logger

    func claimDue(limit: Int, lease: Double) async throws -> [OutboxMail] {
        do {
            return try await self.claim(limit: limit, lease: lease)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "42P01" {
            // No outbox yet: the first start of this version is still migrating.
            return []
        }
    }

    private func claim(limit: Int, lease: Double) async throws -> [OutboxMail] {
        let logger = self.logger
        let claim = UUID().uuidString
        return try await self.database.run("claim mails") { connection, _ in
            let rows = try await connection.query(
                """
                UPDATE auth_mail_outbox o
                SET attempts = o.attempts + 1, "nextAttemptAt" = now() + make_interval(secs => \(lease)), "claimToken" = \(claim)
                WHERE o.id IN (
                    SELECT id FROM auth_mail_outbox
                    WHERE "sentAt" IS NULL AND "failedAt" IS NULL AND "nextAttemptAt" <= now()
                    ORDER BY "nextAttemptAt", id LIMIT \(limit)
                    FOR UPDATE SKIP LOCKED)
                RETURNING o.id, o.kind, o.recipient, o."userId", o.parameters::text, o."messageId", o.attempts
                """,
                logger: logger
            )
            var mails: [OutboxMail] = []
            for try await (id, kind, recipient, userID, parameters, messageID, attempts) in rows.decode(
                (Int64, String, String, Int?, String, String, Int).self
            ) {
                let values = (try? JSONDecoder().decode([String: String].self, from: Data(parameters.utf8))) ?? [:]
                mails.append(OutboxMail(
                    id: id, kind: kind, recipient: recipient, userID: userID, parameters: values, messageID: messageID, attempts: attempts, claim: claim
                ))
            }
            return mails.sorted { $0.id < $1.id }
        }
    }

    func markSent(_ ids: [Int64]) async throws {
        guard !ids.isEmpty else { return }
        let logger = self.logger
        // Whoever sent it says so, even past its lease: a mail the server took is sent.
        try await self.database.run("mark mail sent") { connection, _ in
            _ = try await connection.query(
                """
                UPDATE auth_mail_outbox SET "sentAt" = now(), parameters = parameters - 'token'::text, "lastError" = NULL, "claimToken" = NULL
                WHERE id = ANY(\(ids)) AND "sentAt" IS NULL
                """,
                logger: logger
            )
        }
    }

    func markUndelivered(_ mail: OutboxMail, error: String, retryAfter: Double?) async throws -> Bool {
        let logger = self.logger
        let message = String(error.prefix(500))
        let giveUp = retryAfter == nil
        let delay = retryAfter ?? 0
        return try await self.database.run("mark mail undelivered") { connection, _ in
            let rows = try await connection.query(
                """
                UPDATE auth_mail_outbox SET "lastError" = \(message), "claimToken" = NULL,
                    "nextAttemptAt" = CASE WHEN \(giveUp) THEN "nextAttemptAt" ELSE now() + make_interval(secs => \(delay)) END,
                    "failedAt" = CASE WHEN \(giveUp) THEN now() END,
                    parameters = CASE WHEN \(giveUp) THEN parameters - 'token'::text ELSE parameters END
                WHERE id = \(mail.id) AND "claimToken" = \(mail.claim) AND "sentAt" IS NULL
                RETURNING "failedAt" IS NOT NULL
                """,
                logger: logger
            )
            var gaveUp = false
            for try await value in rows.decode(Bool.self) { gaveUp = value }
            return gaveUp
        }
    }

    func purge(olderThanDays days: Int) async throws -> Int {
        let logger = self.logger
        let age = Double(days) * 86_400
        return try await self.database.run("purge mails and tokens") { connection, _ in
            let rows = try await connection.query(
                """
                WITH mails AS (
                    DELETE FROM auth_mail_outbox WHERE "sentAt" < now() - make_interval(secs => \(age)) RETURNING 1
                ), tokens AS (
                    DELETE FROM auth_mail_tokens
                    WHERE "expiresAt" < now() - make_interval(secs => \(age)) OR "usedAt" < now() - make_interval(secs => \(age))
                    RETURNING 1
                )
                SELECT (SELECT count(*) FROM mails) + (SELECT count(*) FROM tokens)
                """,
                logger: logger
            )
            var count = 0
            for try await value in rows.decode(Int.self) { count = value }
            return count
        }
    }
}
