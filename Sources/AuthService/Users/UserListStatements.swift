import PostgresNIO

/// The statements of the admin's user list (``PostgresUserRepository/list(_:)``), each served by an
/// index: the primary key for pages in id order, the trigram index of migration 11 for a search.
/// `pattern` is always an `ILIKE` pattern from ``containsPattern(_:)``.
enum UserListStatements {
    /// What a search looks in: a user's name and address as one text, the expression of the trigram
    /// index `users_search_trgm` (migration 11), written exactly as there. A pattern never holds the
    /// newline (``canSearch(_:)``), so no match spans the two.
    static let searchable = #"(coalesce(username, '') || E'\n' || coalesce(email, ''))"#

    /// What a search runs: `pattern` on the whole text; `indexed`, the pattern of the part of it
    /// that few users share (``SearchTrigrams/indexedPart(of:common:)``), when there is one.
    struct Search {
        var pattern: String
        var indexed: String?
        /// What the trigram index is asked for.
        var indexPattern: String { self.indexed ?? self.pattern }

        /// The search for `text`, its index part chosen among the trigrams that are not `common`.
        init(text: String, common: Set<String>) {
            self.pattern = UserListStatements.containsPattern(text)
            self.indexed = SearchTrigrams.indexedPart(of: text, common: common).map { UserListStatements.containsPattern(String($0)) }
        }

        init(pattern: String, indexed: String?) {
            self.pattern = pattern
            self.indexed = indexed
        }
    }

    /// ``searchable`` written so that no index matches it: the whole pattern is checked on the rows
    /// the index found for the indexed part, never by the index itself.
    private static let searchableChecked = #"(coalesce(username, '') || E'\n' || coalesce(email, '') || '')"#

    /// Whether a search for `text` can be run as one pattern on ``searchable``: PostgreSQL stores no
    /// U+0000 (and refuses a statement with one), and a line feed would let a match span the name
    /// and the address (signup admits neither in a name or an address).
    static func canSearch(_ text: String) -> Bool {
        PostgresText.canStore(text) && !text.unicodeScalars.contains("\n")
    }

    /// A pattern that matches any text containing `text` as typed: `ILIKE`'s own wildcards (`%`, `_`)
    /// and its escape character (`\`) in it stand for themselves.
    static func containsPattern(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return "%" + escaped + "%"
    }

    /// Up to `wanted` ids above `after` in id order, `offset` skipped: a walk of the primary key.
    static func page(after: Int, wanted: Int, offset: Int = 0) -> PostgresQuery {
        "SELECT id FROM users WHERE id > \(after) ORDER BY id LIMIT \(wanted) OFFSET \(offset)"
    }

    /// The same among matches of `pattern`, as the planner sees fit: only with an `offset` (at most
    /// ``RequestParameters/maximumOffset``), where each skipped match is read anyway.
    static func searchPage(_ pattern: String, after: Int, wanted: Int, offset: Int) -> PostgresQuery {
        """
        SELECT id FROM users WHERE id > \(after) AND \(unescaped: Self.searchable) ILIKE \(pattern)
        ORDER BY id LIMIT \(wanted) OFFSET \(offset)
        """
    }

    /// How many users match `pattern` (counting at most `cap`), and the first `wanted` ids above
    /// `after` among them: all from one read of the trigram indexes, whose cost follows the number
    /// of matches, not the table. When the count reaches `cap` the ids may miss some: only for a
    /// search the planner expects fewer matches for.
    static func fewMatches(_ search: Search, after: Int, wanted: Int, cap: Int) -> PostgresQuery {
        """
        WITH m AS MATERIALIZED (
            SELECT id FROM users
            WHERE \(unescaped: Self.searchable) ILIKE \(search.indexPattern) AND \(unescaped: Self.searchableChecked) ILIKE \(search.pattern)
            LIMIT \(cap))
        SELECT (SELECT count(*) FROM m), ARRAY(SELECT id FROM m WHERE id > \(after) ORDER BY id LIMIT \(wanted))
        """
    }

    /// Every match of `pattern` above `after`, from the trigram indexes, then the first `wanted` of
    /// them by id: the cost follows the number of matches, not the table. `MATERIALIZED` keeps the
    /// planner from walking the primary key instead, which reads every row before the first match.
    static func matches(_ search: Search, after: Int, wanted: Int) -> PostgresQuery {
        """
        WITH m AS MATERIALIZED (
            SELECT id FROM users
            WHERE id > \(after) AND \(unescaped: Self.searchable) ILIKE \(search.indexPattern)
                AND \(unescaped: Self.searchableChecked) ILIKE \(search.pattern))
        SELECT id FROM m ORDER BY id LIMIT \(wanted)
        """
    }

    /// The first `wanted` matches among the `budget` users above `after`, in id order: a walk of the
    /// primary key that stops as soon as it has them (where matches are many, at once).
    static func walk(_ pattern: String, after: Int, wanted: Int, budget: Int) -> PostgresQuery {
        """
        SELECT id FROM (SELECT id, username, email FROM users WHERE id > \(after) ORDER BY id LIMIT \(budget)) AS w
        WHERE \(unescaped: Self.searchable) ILIKE \(pattern) ORDER BY id LIMIT \(wanted)
        """
    }

    /// The last id of the `budget` users above `after`; no row when fewer follow (the walk reached the
    /// end). From the primary key alone.
    static func windowEnd(after: Int, budget: Int) -> PostgresQuery {
        "SELECT max(id) FROM (SELECT id FROM users WHERE id > \(after) ORDER BY id LIMIT \(budget)) AS w HAVING count(*) = \(budget)"
    }

    /// The list's fields and roles of the users `ids`, by id.
    static func details(ids: [Int]) -> PostgresQuery {
        var statement: PostgresQuery = #"SELECT u.id, u.username, u.email, "#
        statement.sql += PostgresUserRepository.rolesOfUser
        statement.sql += #", u."disabledAt", u."createdAt", u."emailVerifiedAt" IS NOT NULL, "#
        statement.sql += PostgresUserRepository.secondFactorOfUser
        statement.sql += #" FROM users u WHERE u.id = ANY($1::integer[]) ORDER BY u.id"#
        statement.binds.append(ids)
        return statement
    }

    /// How many users match, counting at most `cap`: from the primary key without a pattern.
    static func count(_ pattern: String?, cap: Int) -> PostgresQuery {
        if let pattern {
            return "SELECT count(*) FROM (SELECT 1 FROM users WHERE \(unescaped: Self.searchable) ILIKE \(pattern) LIMIT \(cap)) AS capped"
        }
        return "SELECT count(*) FROM (SELECT id FROM users ORDER BY id LIMIT \(cap)) AS capped"
    }

    /// The planner's plan of all matches, whose `Plan Rows` is its estimate of how many there are
    /// (from the table's statistics: nothing is read).
    static func estimate(_ pattern: String?) -> PostgresQuery {
        if let pattern {
            return "EXPLAIN (FORMAT JSON) SELECT 1 FROM users WHERE \(unescaped: Self.searchable) ILIKE \(pattern)"
        }
        return "EXPLAIN (FORMAT JSON) SELECT 1 FROM users"
    }
}
