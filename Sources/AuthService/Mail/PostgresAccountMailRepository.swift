import Common
import Foundation
import Logging
import PostgresNIO

/// Mail tokens and outbox rows in PostgreSQL, each token written by the same statement as its mail.
/// Every statement is gated on its deadline (`gate`), so one that runs late changes nothing and its
/// caller answers 503 rather than report a change that did not happen.
struct PostgresAccountMailRepository: AccountMailRepository {
    let database: TimeBoundDatabase
    let logger: Logger
    /// The right-hand side of every `Message-ID` (`MAIL_FROM`'s domain).
    let messageIDDomain: String

    func requestPasswordReset(emailKey: String, token: MailToken, ttl: Int) async throws -> Int? {
        guard PostgresText.canStore(emailKey) else { return nil }
        return try await self.queueLink(
            "request password reset", target: LinkTarget(emailKey: emailKey),
            purpose: .passwordReset, kind: .passwordReset, token: token, ttl: ttl
        )
    }

    func requestPasswordReset(userID: Int, token: MailToken, ttl: Int) async throws -> Bool {
        try await self.queueLink(
            "request password reset by an admin", target: LinkTarget(userID: userID),
            purpose: .passwordReset, kind: .passwordReset, token: token, ttl: ttl
        ) != nil
    }

    func requestVerification(userID: Int, token: MailToken, ttl: Int) async throws -> VerificationRequest {
        let queued = try await self.queueLink(
            "request verification",
            target: LinkTarget(userID: userID, onlyUnverified: true),
            purpose: .emailVerification, kind: .emailVerification, token: token, ttl: ttl
        )
        if queued != nil { return .queued }
        let logger = self.logger
        return try await self.database.run("read verification state") { connection, _ in
            let rows = try await connection.query(#"SELECT "emailVerifiedAt" IS NOT NULL FROM users WHERE id = \#(userID)"#, logger: logger)
            var verified: Bool?
            for try await value in rows.decode(Bool.self) { verified = value }
            return verified == true ? .alreadyVerified : .noAccount
        }
    }

    func requestEmailChange(userID: Int, newEmail: String, newEmailKey: String, token: MailToken, ttl: Int) async throws -> Bool {
        let logger = self.logger
        let domain = self.messageIDDomain
        return try await self.database.run("request email change") { connection, deadline in
            let rows = try await connection.query(
                """
                WITH gate AS (SELECT clock_timestamp() < \(deadline.date) AS open),
                target AS (
                    SELECT id, username, email FROM users WHERE id = \(userID) AND "disabledAt" IS NULL AND (SELECT open FROM gate)
                ), token AS (
                    INSERT INTO auth_mail_tokens ("tokenHash", purpose, "userId", email, "emailKey", "expiresAt")
                    SELECT \(token.hash), \(MailTokenPurpose.emailChange.rawValue), id, \(newEmail), \(newEmailKey),
                        now() + make_interval(secs => \(Double(ttl)))
                    FROM target
                ), mail AS (
                    INSERT INTO auth_mail_outbox (kind, recipient, "userId", parameters, "messageId")
                    SELECT \(MailKind.emailChangeConfirmation.rawValue), \(newEmail), id,
                        jsonb_build_object('username', username, 'token', \(token.token)::text), gen_random_uuid()::text || '@' || \(domain)
                    FROM target
                    UNION ALL
                    SELECT \(MailKind.emailChangeRequested.rawValue), email, id,
                        jsonb_build_object('username', username, 'email', \(newEmail)::text), gen_random_uuid()::text || '@' || \(domain)
                    FROM target
                )
                SELECT (SELECT id FROM target), (SELECT open FROM gate)
                """,
                logger: logger
            )
            return try await Self.gated(rows, operation: "request email change") != nil
        }
    }

    func userOfToken(hash: String, purpose: MailTokenPurpose) async throws -> Int? {
        let logger = self.logger
        return try await self.database.run("find mail token") { connection, _ in
            let rows = try await connection.query(
                """
                SELECT "userId" FROM auth_mail_tokens
                WHERE "tokenHash" = \(hash) AND purpose = \(purpose.rawValue) AND "usedAt" IS NULL AND "expiresAt" > now()
                """,
                logger: logger
            )
            var user: Int?
            for try await value in rows.decode(Int.self) { user = value }
            return user
        }
    }

    func resetPassword(tokenHash: String, newPasswordHash: String) async throws -> PasswordReset? {
        let logger = self.logger
        let domain = self.messageIDDomain
        return try await self.database.run("reset password") { connection, deadline in
            // `spent` takes the token's row lock: of two resets with one token, the second finds it used.
            let rows = try await connection.query(
                """
                WITH gate AS (SELECT clock_timestamp() < \(deadline.date) AS open),
                spent AS (
                    UPDATE auth_mail_tokens t SET "usedAt" = now()
                    WHERE t."tokenHash" = \(tokenHash) AND t.purpose = \(MailTokenPurpose.passwordReset.rawValue) AND t."usedAt" IS NULL
                        AND t."expiresAt" > now() AND (SELECT open FROM gate)
                        AND EXISTS (SELECT 1 FROM users u WHERE u.id = t."userId" AND u."disabledAt" IS NULL)
                    RETURNING t."userId", t."emailKey"
                ), changed AS (
                    UPDATE users u SET password = \(newPasswordHash), "credentialEpoch" = u."credentialEpoch" + 1, "updatedAt" = now(),
                        -- The link reached this address: it is the owner's.
                        "emailVerifiedAt" = CASE WHEN u.email_key = spent."emailKey" THEN COALESCE(u."emailVerifiedAt", now())
                                                 ELSE u."emailVerifiedAt" END
                    FROM spent WHERE u.id = spent."userId"
                    RETURNING u.id, u.username, u.email, u."credentialEpoch"
                ), retired AS (
                    UPDATE auth_mail_tokens SET "usedAt" = now()
                    WHERE "userId" IN (SELECT id FROM changed) AND purpose = \(MailTokenPurpose.passwordReset.rawValue)
                        AND "usedAt" IS NULL AND "tokenHash" <> \(tokenHash)
                ), notice AS (
                    INSERT INTO auth_mail_outbox (kind, recipient, "userId", parameters, "messageId")
                    SELECT \(MailKind.passwordWasReset.rawValue), email, id, jsonb_build_object('username', username),
                        gen_random_uuid()::text || '@' || \(domain)
                    FROM changed
                )
                SELECT (SELECT id FROM changed), (SELECT username FROM changed), (SELECT "credentialEpoch" FROM changed), (SELECT open FROM gate)
                """,
                logger: logger
            )
            var answer: (Int?, String?, Int?, Bool)?
            for try await row in rows.decode((Int?, String?, Int?, Bool).self) { answer = row }
            guard let answer else { throw UserRepositoryError(message: "reset password: no row") }
            if let id = answer.0, let epoch = answer.2 { return PasswordReset(userID: id, username: answer.1 ?? "", epoch: epoch) }
            guard answer.3 else { throw DatabaseUnavailable(code: .writeDeadlinePassed, operation: "reset password") }
            return nil
        }
    }

    func confirmEmail(tokenHash: String) async throws -> EmailConfirmation {
        let logger = self.logger
        let domain = self.messageIDDomain
        do {
            return try await self.database.run("confirm email") { connection, deadline in
                // A verification link counts only for the address it was sent to, if the account still has it.
                // An address change fails as a whole on the unique index when the address was taken since.
                let rows = try await connection.query(
                    """
                    WITH gate AS (SELECT clock_timestamp() < \(deadline.date) AS open),
                    spent AS (
                        UPDATE auth_mail_tokens t SET "usedAt" = now()
                        WHERE t."tokenHash" = \(tokenHash) AND t.purpose IN (\(MailTokenPurpose.emailVerification.rawValue), \(MailTokenPurpose.emailChange.rawValue))
                            AND t."usedAt" IS NULL AND t."expiresAt" > now() AND (SELECT open FROM gate)
                            AND EXISTS (
                                SELECT 1 FROM users u WHERE u.id = t."userId" AND u."disabledAt" IS NULL
                                    AND (t.purpose = \(MailTokenPurpose.emailChange.rawValue) OR u.email_key = t."emailKey"))
                        RETURNING t."userId", t.purpose, t.email, t."emailKey"
                    ), before AS (
                        SELECT u.id, u.username, u.email FROM users u JOIN spent ON spent."userId" = u.id
                    ), verified AS (
                        UPDATE users u SET "emailVerifiedAt" = COALESCE(u."emailVerifiedAt", now()), "updatedAt" = now()
                        FROM spent WHERE spent.purpose = \(MailTokenPurpose.emailVerification.rawValue) AND u.id = spent."userId"
                        RETURNING u.id
                    ), changed AS (
                        UPDATE users u SET email = spent.email, email_key = spent."emailKey", "emailVerifiedAt" = now(), "updatedAt" = now()
                        FROM spent WHERE spent.purpose = \(MailTokenPurpose.emailChange.rawValue) AND u.id = spent."userId"
                        RETURNING u.id, u.email
                    ), retired AS (
                        -- Links sent to the old address, or for another new one, die with the change.
                        UPDATE auth_mail_tokens SET "usedAt" = now()
                        WHERE "userId" IN (SELECT id FROM changed) AND "usedAt" IS NULL AND "tokenHash" <> \(tokenHash)
                    ), notice AS (
                        INSERT INTO auth_mail_outbox (kind, recipient, "userId", parameters, "messageId")
                        SELECT \(MailKind.emailChanged.rawValue), before.email, before.id,
                            jsonb_build_object('username', before.username, 'email', changed.email), gen_random_uuid()::text || '@' || \(domain)
                        FROM before JOIN changed ON changed.id = before.id
                    )
                    SELECT (SELECT id FROM verified), (SELECT id FROM changed), (SELECT email FROM changed), (SELECT open FROM gate)
                    """,
                    logger: logger
                )
                var answer: (Int?, Int?, String?, Bool)?
                for try await row in rows.decode((Int?, Int?, String?, Bool).self) { answer = row }
                guard let answer else { throw UserRepositoryError(message: "confirm email: no row") }
                if let id = answer.0 { return .verified(userID: id) }
                if let id = answer.1 { return .changed(userID: id, to: answer.2 ?? "") }
                guard answer.3 else { throw DatabaseUnavailable(code: .writeDeadlinePassed, operation: "confirm email") }
                return .invalid
            }
        } catch {
            if let conflict = PostgresUserRepository.uniqueViolation(in: error) { throw conflict }
            throw error
        }
    }

    func isEmailTaken(key: String) async throws -> Bool {
        let logger = self.logger
        return try await self.database.run("check for a taken email") { connection, _ in
            var taken = false
            for try await value in try await connection.query("SELECT EXISTS (SELECT 1 FROM users WHERE email_key = \(key))", logger: logger).decode(Bool.self) {
                taken = value
            }
            return taken
        }
    }

    func queueNotice(_ kind: MailKind, userID: Int) async throws {
        let logger = self.logger
        let domain = self.messageIDDomain
        try await self.database.run("queue notice") { connection, deadline in
            _ = try await connection.query(
                """
                INSERT INTO auth_mail_outbox (kind, recipient, "userId", parameters, "messageId")
                SELECT \(kind.rawValue), email, id, jsonb_build_object('username', username), gen_random_uuid()::text || '@' || \(domain)
                FROM users WHERE id = \(userID) AND email IS NOT NULL AND clock_timestamp() < \(deadline.date)
                """,
                logger: logger
            )
        }
    }

    /// Which account a link goes to: by email key or by id, enabled, and unverified when asked.
    private struct LinkTarget {
        var emailKey: String? = nil
        var userID: Int? = nil
        var onlyUnverified = false
    }

    /// A token of `purpose` and its mail of `kind` for the one account `target` names, in one
    /// statement; the account's id, or `nil` when there is none.
    private func queueLink(_ operation: String, target: LinkTarget, purpose: MailTokenPurpose, kind: MailKind, token: MailToken, ttl: Int) async throws -> Int? {
        let logger = self.logger
        let domain = self.messageIDDomain
        return try await self.database.run(operation) { connection, deadline in
            let rows = try await connection.query(
                """
                WITH gate AS (SELECT clock_timestamp() < \(deadline.date) AS open),
                target AS (
                    SELECT id, username, email, email_key FROM users
                    WHERE (email_key = \(target.emailKey) OR id = \(target.userID)) AND "disabledAt" IS NULL AND email_key IS NOT NULL
                        AND (NOT \(target.onlyUnverified) OR "emailVerifiedAt" IS NULL) AND (SELECT open FROM gate)
                ), token AS (
                    INSERT INTO auth_mail_tokens ("tokenHash", purpose, "userId", email, "emailKey", "expiresAt")
                    SELECT \(token.hash), \(purpose.rawValue), id, email, email_key, now() + make_interval(secs => \(Double(ttl))) FROM target
                ), mail AS (
                    INSERT INTO auth_mail_outbox (kind, recipient, "userId", parameters, "messageId")
                    SELECT \(kind.rawValue), email, id, jsonb_build_object('username', username, 'token', \(token.token)::text),
                        gen_random_uuid()::text || '@' || \(domain)
                    FROM target
                )
                SELECT (SELECT id FROM target), (SELECT open FROM gate)
                """,
                logger: logger
            )
            return try await Self.gated(rows, operation: operation)
        }
    }

    /// Reads `(id or NULL, gate open)`: the id; `nil` when the statement ran in time and matched
    /// nothing; ``DatabaseUnavailable`` when it ran late and so did nothing.
    private static func gated(_ rows: PostgresRowSequence, operation: String) async throws -> Int? {
        var answer: (Int?, Bool)?
        for try await row in rows.decode((Int?, Bool).self) { answer = row }
        guard let answer else { throw UserRepositoryError(message: "\(operation): no row") }
        if let id = answer.0 { return id }
        guard answer.1 else { throw DatabaseUnavailable(code: .writeDeadlinePassed, operation: operation) }
        return nil
    }
}
