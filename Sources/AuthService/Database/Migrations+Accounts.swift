extension Migration {
    /// What running accounts needs (issue 10): disabling users, and the audit trail; and (issue 21) the
    /// credential epoch every change of what a session rests on advances (``CredentialIssuer``).
    static let accounts: [Migration] = [
        Migration(
            version: 5,
            name: "disabled users",
            statements: [
                #"ALTER TABLE users ADD COLUMN IF NOT EXISTS "disabledAt" TIMESTAMPTZ"#
            ]
        ),
        Migration(
            version: 6,
            name: "audit trail",
            statements: [
                // No foreign key to users: the trail outlives a deleted account.
                """
                CREATE TABLE IF NOT EXISTS auth_audit_events (
                    id BIGSERIAL PRIMARY KEY,
                    "occurredAt" TIMESTAMPTZ NOT NULL,
                    type TEXT NOT NULL,
                    "userId" INTEGER,
                    "actorId" INTEGER,
                    ip TEXT,
                    "userAgent" TEXT,
                    "requestId" TEXT,
                    details JSONB NOT NULL DEFAULT '{}'::jsonb)
                """,
                // The admin queries, newest first: by user, by type, or all; the last also serves the purge.
                #"CREATE INDEX IF NOT EXISTS auth_audit_events_user_time ON auth_audit_events ("userId", "occurredAt" DESC, id DESC)"#,
                #"CREATE INDEX IF NOT EXISTS auth_audit_events_type_time ON auth_audit_events (type, "occurredAt" DESC, id DESC)"#,
                #"CREATE INDEX IF NOT EXISTS auth_audit_events_time ON auth_audit_events ("occurredAt" DESC, id DESC)"#,
            ]
        ),
        Migration(
            version: 7,
            name: "credential epoch",
            statements: [
                // Each row, existing or inserted later (by an earlier version too), draws its own lineage
                // (``CredentialEpoch``): 33 random bits above a change counter of 20.
                #"""
                ALTER TABLE users ADD COLUMN IF NOT EXISTS "credentialEpoch" BIGINT NOT NULL
                    DEFAULT ((1 + floor(random() * 8589934591))::bigint << 20)
                """#
            ]
        ),
    ]
}
