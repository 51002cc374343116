import PostgresNIO

extension Migration {
    /// TOTP second factors and their recovery codes (issue 25). The secret is stored sealed
    /// (``SecretBox``), never next to the password hash in plain text; `lastStep` is the last time step
    /// whose code was accepted, so that no code is accepted twice (RFC 6238 §5.2). Recovery codes are
    /// stored as keyed hashes only.
    static let secondFactor: [Migration] = [
        Migration(
            version: 12,
            name: "TOTP factors and recovery codes",
            statements: [
                """
                CREATE TABLE IF NOT EXISTS auth_totp_factors (
                    "userId" INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
                    secret TEXT NOT NULL,
                    "createdAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
                    "confirmedAt" TIMESTAMPTZ,
                    "lastStep" BIGINT NOT NULL DEFAULT -1)
                """,
                """
                CREATE TABLE IF NOT EXISTS auth_recovery_codes (
                    "userId" INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                    "codeHash" TEXT NOT NULL,
                    "usedAt" TIMESTAMPTZ,
                    PRIMARY KEY ("userId", "codeHash"))
                """,
            ]
        )
    ]
}
