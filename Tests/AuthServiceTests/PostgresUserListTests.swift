@testable import AuthService
import Common
import Foundation
import PostgresNIO
import Testing

@Suite("The admin's user list at scale: keyset pages, a search served by its indexes, a total exact when cheap")
struct PostgresUserListTests {
    /// `count` users `scale0000001`... with the role `user`, straight into the tables (no password
    /// hashing), then ANALYZE, so that the planner sees the tables as they are.
    private func load(_ client: PostgresClient, count: Int, from first: Int = 1) async throws {
        // An autovacuum worker that a load this size wakes in the test's database makes the fixture's
        // DROP DATABASE ... WITH (FORCE) fail (the test's role may not end the superuser's worker);
        // the statistics come from the ANALYZE below anyway.
        for table in ["users", "user_roles"] {
            try await client.query(PostgresQuery(unsafeSQL: "ALTER TABLE \(table) SET (autovacuum_enabled = false)"), logger: storeLogger)
        }
        try await client.query(
            """
            WITH made AS (
                INSERT INTO users (username, email, password, "createdAt", "updatedAt", username_key, username_skeleton, email_key, username_lookalike)
                SELECT 'scale' || lpad(n::text, 7, '0'), 'scale' || lpad(n::text, 7, '0') || '@example.com', 'x', now(), now(),
                    'scale' || lpad(n::text, 7, '0'), 'skeleton ' || n, 'scale' || lpad(n::text, 7, '0') || '@example.com', ''
                FROM generate_series(\(first), \(first + count - 1)) AS n
                RETURNING id)
            INSERT INTO user_roles ("roleId", "userId", "createdAt", "updatedAt") SELECT 1, id, now(), now() FROM made
            """,
            logger: storeLogger
        )
        try await client.query("ANALYZE users, user_roles", logger: storeLogger)
        // What autovacuum does in service: the trigram index's pending entries go into its tree,
        // where a search reads only the lists of its trigrams, not every pending entry.
        try await client.query("SELECT gin_clean_pending_list('users_search_trgm'::regclass)", logger: storeLogger)
    }

    /// The plan of `statement`, as JSON text.
    private func plan(_ client: PostgresClient, _ statement: PostgresQuery) async throws -> String {
        let explained = PostgresQuery(unsafeSQL: "EXPLAIN (FORMAT JSON) " + statement.sql, binds: statement.binds)
        var text = ""
        for try await line in try await client.query(explained, logger: storeLogger).decode(String.self) { text += line }
        return text
    }

    /// How many buffers (8 KB pages, from cache or disk) running `statement` touched.
    private func pagesRead(_ client: PostgresClient, _ statement: PostgresQuery) async throws -> Int {
        let explained = PostgresQuery(unsafeSQL: "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement.sql, binds: statement.binds)
        var text = ""
        for try await line in try await client.query(explained, logger: storeLogger).decode(String.self) { text += line }
        let document = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
        let plan = try #require(document.first?["Plan"] as? [String: Any])
        return (plan["Shared Hit Blocks"] as? Int ?? 0) + (plan["Shared Read Blocks"] as? Int ?? 0)
    }

    /// The nodes of a plan that read `users` or `user_roles` row by row: a sequential scan, or any
    /// scan of users that tests the search text as a filter on each row it reads (an index walk in
    /// id order that filters is a sequential scan in another order). The text must be an index or
    /// recheck condition.
    /// The index conditions of every node of `plan`.
    private func indexConditions(_ plan: String) throws -> [String] {
        func conditions(_ node: [String: Any]) -> [String] {
            [node["Index Cond"] as? String].compactMap { $0 } + ((node["Plans"] as? [[String: Any]]) ?? []).flatMap(conditions)
        }
        let document = try #require(try JSONSerialization.jsonObject(with: Data(plan.utf8)) as? [[String: Any]])
        return document.compactMap { $0["Plan"] as? [String: Any] }.flatMap(conditions)
    }

    private func rowByRowReads(_ plan: String) throws -> [String] {
        func reads(_ node: [String: Any]) -> [String] {
            var own: [String] = []
            let relation = node["Relation Name"] as? String ?? ""
            if relation == "users" || relation == "user_roles" {
                let type = node["Node Type"] as? String ?? "?"
                let filter = node["Filter"] as? String ?? ""
                // A filter on the rows a bitmap of an index found reads only those; on any other scan,
                // every row the scan walks.
                let filtersRowByRow = type != "Bitmap Heap Scan" && (filter.contains("~~*") || filter.contains("strpos"))
                if type == "Seq Scan" || filtersRowByRow { own.append("\(relation): \(type) \(filter)") }
            }
            return own + ((node["Plans"] as? [[String: Any]]) ?? []).flatMap(reads)
        }
        let document = try #require(try JSONSerialization.jsonObject(with: Data(plan.utf8)) as? [[String: Any]])
        return document.compactMap { $0["Plan"] as? [String: Any] }.flatMap(reads)
    }

    /// Every page from the first to the last, following `next`.
    private func allPages(_ repository: PostgresUserRepository, text: String? = nil, limit: Int) async throws -> [[Int]] {
        var pages: [[Int]] = []
        var after = 0
        while true {
            let page = try await repository.list(UserListQuery(text: text, after: after, limit: limit))
            pages.append(page.users.map(\.id))
            guard let next = page.next else { return pages }
            #expect(next == page.users.last?.id)
            after = next
        }
    }

    @Test("keyset pages: each starts above after, next is its last id, null on the last page, which is never empty but for no users")
    func keysetPages() async throws {
        try await withUserRepository { repository, client in
            #expect(try await repository.list(UserListQuery(limit: 10)) == UserPage(users: [], total: 0, next: nil))
            try await self.load(client, count: 45)

            let pages = try await self.allPages(repository, limit: 10)
            #expect(pages.map(\.count) == [10, 10, 10, 10, 5])
            #expect(pages.flatMap { $0 } == Array(1...45))
            let exact = try await self.allPages(repository, limit: 15)
            #expect(exact.map(\.count) == [15, 15, 15], "a last page that is exactly full has next null")
            let search = try await self.allPages(repository, text: "SCALE000000", limit: 4)
            #expect(search.flatMap { $0 } == Array(1...9))
            let page = try await repository.list(UserListQuery(text: "scale000000", after: 3, offset: 2, limit: 3))
            #expect(page.users.map(\.id) == [6, 7, 8] && page.next == 8 && page.total == 9 && page.totalIsExact)
        }
    }

    @Test("a keyset walk through the list sees every user that stayed exactly once, in order, while others are added and deleted")
    func stableUnderConcurrentChanges() async throws {
        try await withUserRepository { repository, client in
            try await self.load(client, count: 600)
            let deleted = Set(stride(from: 3, through: 600, by: 7))
            let churn = Task {
                // Deletes a seventh of the users, all over the list, and adds new ones after them.
                for (step, id) in deleted.sorted().enumerated() {
                    try await client.query("DELETE FROM users WHERE id = \(id)", logger: storeLogger)
                    try await self.load(client, count: 1, from: 10_000 + step)
                }
            }
            var seen: [Int] = []
            var after = 0
            while true {
                let page = try await repository.list(UserListQuery(after: after, limit: 7))
                seen += page.users.map(\.id)
                guard let next = page.next else { break }
                after = next
                await Task.yield()
            }
            try await churn.value

            #expect(seen == seen.sorted() && Set(seen).count == seen.count, "every id once, in order")
            let stayed = Set(1...600).subtracting(deleted)
            #expect(stayed.isSubset(of: Set(seen)), "missed: \(stayed.subtracting(seen).sorted())")
        }
    }

    @Test("offset pages under the same deletions skip users that stayed: what keyset pages are for")
    func offsetPagesSkipUnderDeletions() async throws {
        try await withUserRepository { repository, client in
            try await self.load(client, count: 30)
            let first = try await repository.list(UserListQuery(limit: 10))
            // Two users of the first page are deleted before the second page is read.
            try await client.query("DELETE FROM users WHERE id IN (2, 5)", logger: storeLogger)
            let byOffset = try await repository.list(UserListQuery(offset: 10, limit: 10))
            let byKeyset = try await repository.list(UserListQuery(after: try #require(first.next), limit: 10))

            #expect(byOffset.users.first?.id == 13, "offset skipped 11 and 12")
            #expect(byKeyset.users.map(\.id) == Array(11...20))
        }
    }

    @Test("at 100,000 users no statement of the list or of a search reads users or their roles row by row: every condition is an index's", .timeLimit(.minutes(5)))
    func plansUseIndexes() async throws {
        try await withUserRepository { repository, client in
            try await self.load(client, count: 100_000)
            // The part the repository asks the index for, by the statistics of these users.
            let common = try await client.withConnection { try await repository.commonTrigrams.current(on: $0, logger: storeLogger) }
            let part = try #require(SearchTrigrams.indexedPart(of: "CALE0054321", common: common))
            let rare = UserListStatements.Search(
                pattern: UserListStatements.containsPattern("CALE0054321"), indexed: UserListStatements.containsPattern(String(part))
            )
            let everyone = UserListStatements.containsPattern("example")
            let statements: [(String, PostgresQuery)] = [
                ("first page", UserListStatements.page(after: 0, wanted: 21)),
                ("a deep page", UserListStatements.page(after: 99_000, wanted: 21)),
                ("a search with few matches", UserListStatements.fewMatches(rare, after: 0, wanted: 21, cap: UserListQuery.exactTotalLimit + 1)),
                ("a search with many, walked", UserListStatements.walk(everyone, after: 50_000, wanted: 21, budget: PostgresUserRepository.searchWalkBudget)),
                ("where the walk ended", UserListStatements.windowEnd(after: 50_000, budget: PostgresUserRepository.searchWalkBudget)),
                ("the matches above a walk", UserListStatements.matches(rare, after: 5_000, wanted: 21)),
                ("an offset page of a search", UserListStatements.searchPage(rare.pattern, after: 0, wanted: 21, offset: 20)),
                ("the total", UserListStatements.count(nil, cap: UserListQuery.exactTotalLimit + 1)),
                ("the total of a search", UserListStatements.count(rare.pattern, cap: UserListQuery.exactTotalLimit + 1)),
                ("the details", UserListStatements.details(ids: [1, 50_000, 99_999])),
            ]
            for (name, statement) in statements {
                let plan = try await self.plan(client, statement)
                #expect(try self.rowByRowReads(plan).isEmpty, "\(name) reads users row by row: \(plan)")
            }
            let rarePlan = try await self.plan(client, UserListStatements.fewMatches(rare, after: 0, wanted: 21, cap: UserListQuery.exactTotalLimit + 1))
            #expect(rarePlan.contains("users_search_trgm"), "\(rarePlan)")
            // The index is asked for the part only; the whole text is checked on what it found.
            let indexConditions = try self.indexConditions(rarePlan)
            #expect(indexConditions.contains { $0.contains("%\(part)%") } && !indexConditions.contains { $0.contains("CALE") }, "\(indexConditions)")
            // What the part saves: the posting lists of the trigrams every user shares.
            let whole = UserListStatements.Search(pattern: rare.pattern, indexed: nil)
            let cap = UserListQuery.exactTotalLimit + 1
            let partPages = try await self.pagesRead(client, UserListStatements.fewMatches(rare, after: 0, wanted: 21, cap: cap))
            let wholePages = try await self.pagesRead(client, UserListStatements.fewMatches(whole, after: 0, wanted: 21, cap: cap))
            #expect(partPages * 3 < wholePages, "the part \(part) read \(partPages) pages, the whole text \(wholePages)")
        }
    }

    @Test("a search finds a name or an address in any case, never a text that spans the two; a line feed or U+0000 finds nobody")
    func searchLooksInTheNameOrTheAddress() async throws {
        try await withUserRepository { repository, client in
            try await self.load(client, count: 3)
            let byName = try await repository.list(UserListQuery(text: "ALE0000002", limit: 5))
            #expect(byName.users.map(\.id) == [2] && byName.total == 1)
            let byAddress = try await repository.list(UserListQuery(text: "0000003@EXAMPLE.C", limit: 5))
            #expect(byAddress.users.map(\.id) == [3])
            // The indexed text is name, line feed, address: "...0000001\nscale..." is in it, in no field.
            for text in ["0000001\nscale", "0000001\r\nscale", "scale\u{0}"] {
                let page = try await repository.list(UserListQuery(text: text, limit: 5))
                #expect(page.users.isEmpty && page.total == 0, "\(text.debugDescription) found \(page.users.map(\.id))")
            }
        }
    }

    @Test("a page's roles are read by user: a few pages per user, not all of user_roles per user", .timeLimit(.minutes(5)))
    func rolesAreReadByUser() async throws {
        try await withUserRepository { _, client in
            // At this size, with the tutorial's key ("roleId", "userId") alone and roles never
            // analysed (nothing changes it), the planner reads all of user_roles for every user.
            try await self.load(client, count: 20_000)
            let pages = try await self.pagesRead(client, UserListStatements.details(ids: Array(10_001...10_020)))
            #expect(pages < 300, "the details of 20 users read \(pages) pages")
        }
    }

    @Test("with the trigram statistics, a search finds exactly the users a scan of every row finds, however much of its text most users share", .timeLimit(.minutes(5)))
    func partSearchesFindWhatAScanFinds() async throws {
        try await withUserRepository { repository, client in
            try await self.load(client, count: 30_000)
            let common = try await client.withConnection { try await repository.commonTrigrams.current(on: $0, logger: storeLogger) }
            #expect(common.isSuperset(of: ["sca", "cal", "ale", "exa", "com"]) && !common.contains("123"), "\(common.sorted())")

            for text in ["scale0012345", "SCALE0012345@EXAMPLE", "0012345", "e001234", "5@exam", "scale001", "ALE002999", "le0029", "12", "xyz", "m\nsc"] {
                let page = try await repository.list(UserListQuery(text: text, limit: 50))
                let scanned = try await column(
                    client, "SELECT id::text FROM users WHERE strpos(lower(username || E'\n' || email), lower(\(text))) > 0 ORDER BY users.id"
                ).map { Int($0)! }
                #expect(page.users.map(\.id) == Array(scanned.prefix(50)), "\(text)")
                if page.totalIsExact { #expect(page.total == scanned.count, "\(text)") }
            }
        }
    }

    @Test("the total is exact up to the limit and estimated beyond, and says which; searches find the same users either way", .timeLimit(.minutes(5)))
    func totalsAndWaysAgree() async throws {
        try await withUserRepository { repository, client in
            try await self.load(client, count: 30_000)

            let all = try await repository.list(UserListQuery(limit: 5))
            #expect(!all.totalIsExact && abs(all.total - 30_000) < 3_000, "estimated: \(all.total)")
            let few = try await repository.list(UserListQuery(text: "ALE002999", limit: 5))
            #expect(few.totalIsExact && few.total == 10 && few.users.map(\.id) == Array(29_990...29_994) && few.next == 29_994)
            // Many matches, all far above the first users: found after the walk, from the indexes.
            let clustered = try await repository.list(UserListQuery(text: "scale0029", limit: 5))
            #expect(clustered.users.map(\.id) == Array(29_000...29_004))
            let everyone = try await repository.list(UserListQuery(text: "@example.COM", after: 12_345, limit: 5))
            #expect(everyone.users.map(\.id) == Array(12_346...12_350) && !everyone.totalIsExact)
        }
    }
}
