extension Migration {
    /// What keeps the admin's reads fast as the tables grow (issue 22): the user search served by
    /// trigram indexes, and the audit trail filtered by user and type at once.
    static let scale: [Migration] = [
        Migration(
            version: 9,
            name: "user search and audit filter indexes",
            statements: [
                // A trusted extension since PostgreSQL 13: the database's owner may create it. It ships
                // with PostgreSQL (Debian: in postgresql-15 itself).
                "CREATE EXTENSION IF NOT EXISTS pg_trgm",
                // `username ILIKE '%text%' OR email ILIKE '%text%'`: the list's search by any substring
                // (of three characters or more; shorter ones have no trigram).
                "CREATE INDEX IF NOT EXISTS users_username_trgm ON users USING gin (username gin_trgm_ops)",
                "CREATE INDEX IF NOT EXISTS users_email_trgm ON users USING gin (email gin_trgm_ops)",
                // Both filters of the audit route, newest first: a user's events of one type, however
                // many of other types the user has.
                #"CREATE INDEX IF NOT EXISTS auth_audit_events_user_type_time ON auth_audit_events ("userId", type, "occurredAt" DESC, id DESC)"#,
            ]
        )
    ]
}
