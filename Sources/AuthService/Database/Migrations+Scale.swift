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
                // It also built one trigram index per column for the search, which migration 11 replaces:
                // a database that has not run this one yet is spared building them only to drop them.
                // Both filters of the audit route, newest first: a user's events of one type, however
                // many of other types the user has.
                #"CREATE INDEX IF NOT EXISTS auth_audit_events_user_type_time ON auth_audit_events ("userId", type, "occurredAt" DESC, id DESC)"#,
            ]
        ),
        Migration(
            version: 11,
            name: "one trigram index for the user search",
            statements: [
                // ``UserListStatements/searchable``: one index read instead of two, and no BitmapOr.
                // The cost of a search is that of the trigrams it shares with many users (each one
                // a posting list to read): one list each, not one per column (for a rare
                // name at a million users: 45 → 12 ms). The newline is in no name or address, nor in a search.
                #"CREATE INDEX IF NOT EXISTS users_search_trgm ON users USING gin ((coalesce(username, '') || E'\n' || coalesce(email, '')) gin_trgm_ops)"#,
                // Only the old search read these; an older replica still running searches without them.
                "DROP INDEX IF EXISTS users_username_trgm",
                "DROP INDEX IF EXISTS users_email_trgm",
            ]
        ),
        Migration(
            version: 13,
            name: "trigram statistics for the user search",
            statements: [
                // How many users share each trigram (``CommonTrigrams``): a search asks the index only
                // for the part of its text without a common one (``SearchTrigrams``). For a rare name
                // at a million `scaleNNNNNNN` users, 1,300 index pages read become 26. Kept fresh by
                // every ANALYZE of users, autovacuum's included; the first one here.
                #"CREATE STATISTICS IF NOT EXISTS users_search_trigrams ON (show_trgm(coalesce(username, '') || E'\n' || coalesce(email, ''))) FROM users"#,
                "ANALYZE users",
            ]
        ),
    ]
}
