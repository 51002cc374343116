import PostgresNIO

extension Migration {
    /// What mail needs (issue 23): verified addresses, single-use tokens stored as hashes, and the
    /// outbox that a mail is written to in the same transaction as the token it carries.
    ///
    /// Accounts that exist when it runs count as verified (their owners signed up before anyone was
    /// asked to verify), unless the operator starts that first run with `EXISTING_EMAILS_VERIFIED=false`.
    static func mail(existingEmailsVerified: Bool) -> [Migration] {
        [
            Migration(
                version: 10,
                name: "verified emails, mail tokens and the mail outbox",
                statements: [
                    #"ALTER TABLE users ADD COLUMN IF NOT EXISTS "emailVerifiedAt" TIMESTAMPTZ"#,
                    #"UPDATE users SET "emailVerifiedAt" = now() WHERE "emailVerifiedAt" IS NULL AND \#(existingEmailsVerified)"#,
                    // Only the SHA-256 of a token is stored; the token itself travels in its mail.
                    """
                    CREATE TABLE IF NOT EXISTS auth_mail_tokens (
                        id BIGSERIAL PRIMARY KEY,
                        "tokenHash" TEXT NOT NULL UNIQUE,
                        purpose TEXT NOT NULL,
                        "userId" INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                        email TEXT NOT NULL,
                        "emailKey" TEXT NOT NULL,
                        "createdAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
                        "expiresAt" TIMESTAMPTZ NOT NULL,
                        "usedAt" TIMESTAMPTZ)
                    """,
                    #"CREATE INDEX IF NOT EXISTS auth_mail_tokens_user ON auth_mail_tokens ("userId", purpose)"#,
                    #"CREATE INDEX IF NOT EXISTS auth_mail_tokens_expiry ON auth_mail_tokens ("expiresAt")"#,
                    // No foreign key to users: a notice outlives a deleted account until it is sent.
                    """
                    CREATE TABLE IF NOT EXISTS auth_mail_outbox (
                        id BIGSERIAL PRIMARY KEY,
                        kind TEXT NOT NULL,
                        recipient TEXT NOT NULL,
                        "userId" INTEGER,
                        parameters JSONB NOT NULL DEFAULT '{}'::jsonb,
                        "messageId" TEXT NOT NULL,
                        "createdAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
                        "nextAttemptAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
                        attempts INTEGER NOT NULL DEFAULT 0,
                        "claimToken" TEXT,
                        "sentAt" TIMESTAMPTZ,
                        "failedAt" TIMESTAMPTZ,
                        "lastError" TEXT)
                    """,
                    // The worker's query: what is due, oldest first, among what is neither sent nor given up.
                    #"""
                    CREATE INDEX IF NOT EXISTS auth_mail_outbox_due ON auth_mail_outbox ("nextAttemptAt", id)
                        WHERE "sentAt" IS NULL AND "failedAt" IS NULL
                    """#,
                ]
            )
        ]
    }
}
