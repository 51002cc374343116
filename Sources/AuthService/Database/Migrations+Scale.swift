extension Migration {
    /// What keeps reads fast as the tables grow (issue 22): a user's roles found by the user, the user
    /// search served by trigram indexes, and the audit trail filtered by user and type at once.
    static let scale: [Migration] = [
        Migration(
            version: 9,
            name: "roles by user, user search and audit filter indexes",
            statements: [
                // Every read of a user reads its roles (signin, refresh, the lists). The tutorial's key is
                // ("roleId", "userId"): without this, the planner may read all of user_roles per user
                // (it did, 1.5 ms a user at 20,000 users, while roles had never been analysed).
                #"CREATE INDEX IF NOT EXISTS user_roles_user ON user_roles ("userId")"#,
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
