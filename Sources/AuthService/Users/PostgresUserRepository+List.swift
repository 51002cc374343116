import Foundation
import Logging
import PostgresNIO

/// The admin's user list at the same cost for ten users or millions: pages are keyset pages on the
/// primary key (from above `after`: no row before the page is visited, and a page stays the same while
/// users are added or deleted elsewhere), a search is served by the trigram indexes, and the total is
/// counted only up to ``UserListQuery/exactTotalLimit`` matches, the planner's estimate beyond.
///
/// A search asks the index only for the part of its text that few users share
/// (``SearchTrigrams``). With such a part, its matches (at most the exact total limit) are read at
/// once, for the page and the count; without one, the planner's estimate decides whether that is
/// worth trying. Many matches are looked for first among the next ``searchWalkBudget`` users by id
/// (where they are many, the page is there), and only when the page is not full there, among the
/// matches above them. So neither a rare text nor a common one reads the whole table, whatever ids
/// its matches have. With `offset` (at most ``RequestParameters/maximumOffset``) the planner alone
/// chooses, as before keyset pages existed.
extension PostgresUserRepository {
    /// How many users a search reads in id order before it turns to the trigram indexes.
    static let searchWalkBudget = 5_000

    func list(_ query: UserListQuery) async throws -> UserPage {
        if let text = query.text, !UserListStatements.canSearch(text) { return UserPage(users: [], total: 0) }
        let text = query.text.flatMap { $0.isEmpty ? nil : $0 }
        let logger = self.logger
        let commonTrigrams = self.commonTrigrams
        return try await self.database.run("list users") { connection, _ in
            let run = StatementRunner(connection: connection, logger: logger)
            var search: UserListStatements.Search?
            if let text {
                // An offset page leaves the choice to the planner: no part to look for.
                let common = query.offset > 0 ? [] : try await commonTrigrams.current(on: connection, logger: logger)
                search = UserListStatements.Search(text: text, common: common)
            }
            let found = try await Self.find(query, search: search, run: run)
            var page = UserPage(users: try await run.details(ids: Array(found.ids.prefix(query.limit))), total: found.total)
            page.totalIsExact = found.totalIsExact
            page.next = found.ids.count > query.limit ? found.ids[query.limit - 1] : nil
            return page
        }
    }

    /// The page's ids (and the next one, when there is one: `limit + 1` at most) and the total.
    private static func find(_ query: UserListQuery, search: UserListStatements.Search?, run: StatementRunner) async throws -> Found {
        let wanted = query.limit + 1
        let limit = UserListQuery.exactTotalLimit
        guard let search else {
            let ids = try await run.ids(UserListStatements.page(after: query.after, wanted: wanted, offset: query.offset))
            // The planner's estimate of a whole table is close: count only when it is small.
            let expected = try await run.estimate(nil)
            if expected > 2 * limit { return Found(ids: ids, total: expected, totalIsExact: false) }
            let counted = try await run.integer(UserListStatements.count(nil, cap: limit + 1))
            return Found(ids: ids, total: counted <= limit ? counted : max(counted, expected), totalIsExact: counted <= limit)
        }
        let pattern = search.pattern
        if query.offset > 0 {
            let expected = try await run.estimate(pattern)
            let ids = try await run.ids(UserListStatements.searchPage(pattern, after: query.after, wanted: wanted, offset: query.offset))
            if expected > limit { return Found(ids: ids, total: expected, totalIsExact: false) }
            let counted = try await run.integer(UserListStatements.count(pattern, cap: limit + 1))
            return Found(ids: ids, total: counted <= limit ? counted : max(counted, expected), totalIsExact: counted <= limit)
        }
        // A part of the text that few users share makes the index read cheap: try few matches at
        // once. Otherwise the planner's estimate says whether the index is worth reading.
        var expected = search.indexed == nil ? try await run.estimate(pattern) : nil
        if (expected ?? 0) <= limit {
            let (counted, ids) = try await run.fewMatches(search, after: query.after, wanted: wanted, cap: limit + 1)
            if counted <= limit { return Found(ids: ids, total: counted, totalIsExact: true) }
        }
        // Many matches: the page is looked for where they are, and the total is the estimate.
        if expected == nil { expected = try await run.estimate(pattern) }
        let total = max(expected ?? 0, limit + 1)
        let walked = try await run.ids(UserListStatements.walk(pattern, after: query.after, wanted: wanted, budget: self.searchWalkBudget))
        if walked.count == wanted { return Found(ids: walked, total: total, totalIsExact: false) }
        guard let end = try await run.ids(UserListStatements.windowEnd(after: query.after, budget: self.searchWalkBudget)).first else {
            return Found(ids: walked, total: total, totalIsExact: false)
        }
        let above = try await run.ids(UserListStatements.matches(search, after: end, wanted: wanted - walked.count))
        return Found(ids: walked + above, total: total, totalIsExact: false)
    }

    /// What ``find(_:search:run:)`` found.
    private struct Found {
        var ids: [Int]
        var total: Int
        var totalIsExact: Bool
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

    /// The count and the ids of ``UserListStatements/fewMatches(_:after:wanted:cap:)``.
    func fewMatches(_ search: UserListStatements.Search, after: Int, wanted: Int, cap: Int) async throws -> (Int, [Int]) {
        let statement = UserListStatements.fewMatches(search, after: after, wanted: wanted, cap: cap)
        var found = (0, [Int]())
        for try await row in try await self.connection.query(statement, logger: self.logger).decode((Int, [Int]).self) { found = row }
        return found
    }

    func details(ids: [Int]) async throws -> [UserSummary] {
        guard !ids.isEmpty else { return [] }
        var users: [UserSummary] = []
        let rows = try await self.connection.query(UserListStatements.details(ids: ids), logger: self.logger)
        for try await (id, username, email, roles, disabledAt, createdAt, verified, totp, codesLeft) in rows.decode(
            (Int, String?, String?, [String], Date?, Date, Bool, Bool, Int).self
        ) {
            users.append(PostgresUserRepository.summary(
                id, username, email, roles, disabledAt, createdAt, verified, FactorStatus(totp: totp, recoveryCodesLeft: codesLeft)
            ))
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
