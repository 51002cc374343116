import Foundation
import Logging
import PostgresNIO

/// The admin's user list at the same cost for ten users or millions: pages are keyset pages on the
/// primary key (from above `after`: no row before the page is visited, and a page stays the same while
/// users are added or deleted elsewhere), a search is served by the trigram indexes, and the total is
/// counted only up to ``UserListQuery/exactTotalLimit`` matches, the planner's estimate beyond.
///
/// A search takes one of two ways, by the planner's estimate of its matches: few (at most the exact
/// total limit) are all read from the trigram indexes and sorted; many are looked for first among
/// the next ``searchWalkBudget`` users by id, and only if the page is not full there, among the
/// matches above them. So neither a rare text nor a common one reads the whole table, whatever ids
/// its matches have. With `offset` (at most ``RequestParameters/maximumOffset``) the planner alone
/// chooses, as before keyset pages existed.
extension PostgresUserRepository {
    /// How many users a search reads in id order before it turns to the trigram indexes.
    static let searchWalkBudget = 5_000

    func list(_ query: UserListQuery) async throws -> UserPage {
        // U+0000 cannot be stored, so it matches nobody; PostgreSQL would refuse the statement.
        if let text = query.text, !PostgresText.canStore(text) { return UserPage(users: [], total: 0) }
        let pattern = query.text.flatMap { $0.isEmpty ? nil : UserListStatements.containsPattern($0) }
        let logger = self.logger
        return try await self.database.run("list users") { connection, _ in
            let run = StatementRunner(connection: connection, logger: logger)
            let estimate: Int? = if let pattern { try await run.estimate(pattern) } else { nil }
            let ids = try await Self.pageIDs(query, pattern: pattern, estimate: estimate, run: run)
            var page = UserPage(users: try await run.details(ids: Array(ids.prefix(query.limit))), total: 0)
            page.next = ids.count > query.limit ? ids[query.limit - 1] : nil
            (page.total, page.totalIsExact) = try await Self.total(pattern: pattern, estimate: estimate, run: run)
            return page
        }
    }

    /// The ids of the page and, when there is one, the first id after it (`limit + 1` at most).
    private static func pageIDs(_ query: UserListQuery, pattern: String?, estimate: Int?, run: StatementRunner) async throws -> [Int] {
        let wanted = query.limit + 1
        guard let pattern else { return try await run.ids(UserListStatements.page(after: query.after, wanted: wanted, offset: query.offset)) }
        if query.offset > 0 {
            return try await run.ids(UserListStatements.searchPage(pattern, after: query.after, wanted: wanted, offset: query.offset))
        }
        if let estimate, estimate <= UserListQuery.exactTotalLimit {
            return try await run.ids(UserListStatements.matches(pattern, after: query.after, wanted: wanted))
        }
        let (found, windowEnd) = try await run.walk(pattern, after: query.after, wanted: wanted, budget: self.searchWalkBudget)
        guard found.count < wanted, let windowEnd else { return found }
        return found + (try await run.ids(UserListStatements.matches(pattern, after: windowEnd, wanted: wanted - found.count)))
    }

    /// How many users match, and whether that is exact: counted up to the limit when the planner
    /// expects few (without a search, twice as many: its estimate of a whole table is close), else its
    /// estimate, and nothing is counted.
    private static func total(pattern: String?, estimate: Int?, run: StatementRunner) async throws -> (Int, Bool) {
        let limit = UserListQuery.exactTotalLimit
        let expected = if let estimate { estimate } else { try await run.estimate(nil) }
        if expected > (pattern == nil ? 2 * limit : limit) { return (expected, false) }
        let counted = try await run.integer(UserListStatements.count(pattern, cap: limit + 1))
        return counted <= limit ? (counted, true) : (max(expected, counted), false)
    }
}

/// Runs the list's statements on one connection and decodes their rows.
private struct StatementRunner {
    let connection: PostgresConnection
    let logger: Logger

    func ids(_ statement: PostgresQuery) async throws -> [Int] {
        var ids: [Int] = []
        for try await id in try await self.connection.query(statement, logger: self.logger).decode(Int.self) { ids.append(id) }
        return ids
    }

    func integer(_ statement: PostgresQuery) async throws -> Int {
        try await self.ids(statement).first ?? 0
    }

    /// The matches of a walk, and the id the walk stopped at when it did not reach the end.
    func walk(_ pattern: String, after: Int, wanted: Int, budget: Int) async throws -> ([Int], Int?) {
        var found: [Int] = []
        var windowEnd: Int?
        let statement = UserListStatements.walk(pattern, after: after, wanted: wanted, budget: budget)
        for try await (id, isWindowEnd) in try await self.connection.query(statement, logger: self.logger).decode((Int, Bool).self) {
            if isWindowEnd { windowEnd = id } else { found.append(id) }
        }
        return (found.sorted(), windowEnd)
    }

    func details(ids: [Int]) async throws -> [UserSummary] {
        guard !ids.isEmpty else { return [] }
        var users: [UserSummary] = []
        let rows = try await self.connection.query(UserListStatements.details(ids: ids), logger: self.logger)
        for try await (id, username, email, roles, disabledAt, createdAt) in rows.decode((Int, String?, String?, [String], Date?, Date).self) {
            users.append(PostgresUserRepository.summary(id, username, email, roles, disabledAt, createdAt))
        }
        return users
    }

    /// The planner's estimate of the users matching `pattern` (all users without one).
    func estimate(_ pattern: String?) async throws -> Int {
        var plan = ""
        for try await text in try await self.connection.query(UserListStatements.estimate(pattern), logger: self.logger).decode(String.self) {
            plan += text
        }
        let document = try JSONSerialization.jsonObject(with: Data(plan.utf8))
        guard let top = (document as? [[String: Any]])?.first?["Plan"] as? [String: Any], let rows = top["Plan Rows"] as? NSNumber else {
            throw PlanWithoutEstimate()
        }
        return rows.intValue
    }

    /// EXPLAIN answered something other than a JSON plan with `Plan Rows`.
    struct PlanWithoutEstimate: Error {}
}
