import Logging
import PostgresNIO

/// Gives rows their lookalike skeleton (``UsernameProfile/lookalikeSkeleton(of:)``,
/// `users.username_lookalike`): every row at migration 8, and rows an earlier version wrote during a
/// rolling upgrade at later starts.
///
/// Existing accounts whose names would now collide (`xxxI` and `xxxl`, both signed up before) are two
/// accounts and are never merged: both are kept and keep signing in; the lowest id holds the skeleton,
/// so no new account can look like either, and the others get an empty one (which no index or check
/// matches) and are listed, once, in a warning.
struct LookalikeBackfill: Sendable {
    static let migrationVersion = 8
    static let batchSize = 500

    let logger: Logger

    /// Runs inside the caller's transaction.
    func run(on connection: PostgresConnection) async throws {
        var lookalikes: [String] = []
        var updated = 0
        var lastID = 0
        while true {
            var batch: [(id: Int, name: String, skeleton: String)] = []
            let rows = try await connection.query(
                """
                SELECT id, username FROM users
                WHERE id > \(lastID) AND username_lookalike IS NULL AND username IS NOT NULL AND username <> ''
                ORDER BY id LIMIT \(Self.batchSize)
                """,
                logger: self.logger
            )
            for try await (id, name) in rows.decode((Int, String).self) {
                batch.append((id, name, try UsernameProfile.lookalikeSkeleton(of: name)))
            }
            guard let last = batch.last else { break }
            lastID = last.id

            var holders = try await self.holders(of: batch.map(\.skeleton), on: connection)
            var skeletons: [String] = []
            for row in batch {
                if let holder = holders[row.skeleton], holder.id != row.id {
                    lookalikes.append("id \(row.id) \"\(row.name)\" looks like id \(holder.id) \"\(holder.name)\"")
                    skeletons.append("")
                } else {
                    holders[row.skeleton] = (row.id, row.name)
                    skeletons.append(row.skeleton)
                }
            }
            try await connection.query(
                """
                UPDATE users u SET username_lookalike = v.skeleton
                FROM unnest(\(batch.map(\.id))::integer[], \(skeletons)::text[]) AS v(id, skeleton)
                WHERE u.id = v.id AND u.username_lookalike IS NULL
                """,
                logger: self.logger
            )
            updated += batch.count
        }
        if !lookalikes.isEmpty {
            self.logger.warning(
                "Existing accounts whose names look alike as typed are kept; only the first holds the lookalike skeleton",
                metadata: ["accounts": "\(lookalikes.joined(separator: "; "))"]
            )
        }
        if updated > 0 {
            self.logger.info("Computed lookalike skeletons of account names", metadata: ["rows": "\(updated)"])
        }
    }

    /// The rows already holding one of `skeletons`.
    private func holders(of skeletons: [String], on connection: PostgresConnection) async throws -> [String: (id: Int, name: String)] {
        var holders: [String: (id: Int, name: String)] = [:]
        let rows = try await connection.query(
            "SELECT id, COALESCE(username, ''), username_lookalike FROM users WHERE username_lookalike = ANY(\(skeletons))",
            logger: self.logger
        )
        for try await (id, name, skeleton) in rows.decode((Int, String, String).self) {
            holders[skeleton] = (id, name)
        }
        return holders
    }
}
