import Logging
import PostgresNIO

/// Gives rows without normalised keys their keys (``AccountKeys``): every row of a tutorial
/// database at migration 4, and rows an earlier version wrote during a rolling upgrade later.
///
/// Rows whose keys collide (`Straße` and `STRASSE`, `alice@x.com` and `ALICE@X.COM`) are two
/// accounts that would now be one: they are never merged. The run fails listing them, so the
/// operator renames all but one and starts again; the caller's transaction is rolled back, so
/// nothing changes. Rows that only look alike (same confusable skeleton) are both kept: the
/// lowest id holds the skeleton, the others are listed in a warning.
struct UserKeyBackfill: Sendable {
    static let migrationVersion = 4
    static let batchSize = 500

    let logger: Logger

    /// A row and the keys it would get.
    private struct Row {
        var id: Int
        var username: String?
        var email: String?
        var keys: (username: String, skeleton: String)?
        var emailKey: String?
    }

    /// Runs inside the caller's transaction.
    func run(on connection: PostgresConnection) async throws {
        var collisions: [UserKeyCollisions.Group] = []
        var lookalikes: [String] = []
        var refusedNames = 0
        var updated = 0
        var lastID = 0
        while true {
            var batch: [Row] = []
            let rows = try await connection.query(
                """
                SELECT id, username, email FROM users
                WHERE id > \(lastID) AND ((username_key IS NULL AND username IS NOT NULL) OR (email_key IS NULL AND email IS NOT NULL))
                ORDER BY id LIMIT \(Self.batchSize)
                """,
                logger: self.logger
            )
            for try await (id, username, email) in rows.decode((Int, String?, String?).self) {
                // An empty name or email identifies nobody: it gets no key.
                let usernameKey = try username.flatMap { $0.isEmpty ? nil : try UsernameProfile.key(of: $0) }
                batch.append(Row(
                    id: id, username: username, email: email,
                    keys: try usernameKey.map { ($0, try UsernameProfile.skeleton(ofKey: $0)) },
                    emailKey: try email.flatMap { $0.isEmpty ? nil : try EmailAddress.key(of: $0) }
                ))
                if let username, (try? UsernameProfile.enforce(username)) == nil { refusedNames += 1 }
            }
            guard let last = batch.last else { break }
            lastID = last.id

            var holders = try await self.keyHolders(for: batch, on: connection)
            var accepted: [Row] = []
            for var row in batch {
                if let key = row.keys?.username, let holder = holders.username[key], holder.id != row.id {
                    collisions.append(.init(kind: "username", key: key, rows: [holder, (row.id, row.username ?? "")]))
                    continue
                }
                if let key = row.emailKey, let holder = holders.email[key], holder.id != row.id {
                    collisions.append(.init(kind: "email", key: key, rows: [holder, (row.id, row.email ?? "")]))
                    continue
                }
                if let keys = row.keys {
                    holders.username[keys.username] = (row.id, row.username ?? "")
                    if let holder = holders.skeleton[keys.skeleton], holder.id != row.id {
                        lookalikes.append("id \(row.id) \"\(row.username ?? "")\" looks like id \(holder.id) \"\(holder.name)\"")
                        row.keys?.skeleton = ""
                    } else {
                        holders.skeleton[keys.skeleton] = (row.id, row.username ?? "")
                    }
                }
                if let key = row.emailKey { holders.email[key] = (row.id, row.email ?? "") }
                accepted.append(row)
            }
            try await self.store(accepted, on: connection)
            updated += accepted.count
        }
        if !lookalikes.isEmpty {
            self.logger.warning(
                "Existing accounts whose names look alike are kept; only the first holds the name's skeleton",
                metadata: ["accounts": "\(lookalikes.joined(separator: "; "))"]
            )
        }
        if refusedNames > 0 {
            self.logger.notice(
                "Existing accounts whose names the username profile refuses still sign in; new signups cannot use such names",
                metadata: ["count": "\(refusedNames)"]
            )
        }
        guard collisions.isEmpty else { throw UserKeyCollisions(groups: Self.merged(collisions)) }
        if updated > 0 {
            self.logger.info("Normalised account keys", metadata: ["rows": "\(updated)"])
        }
    }

    private typealias Holder = (id: Int, name: String)

    /// Rows that already hold one of the batch's keys.
    private func keyHolders(
        for batch: [Row], on connection: PostgresConnection
    ) async throws -> (username: [String: Holder], skeleton: [String: Holder], email: [String: Holder]) {
        let usernameKeys = batch.compactMap { $0.keys?.username }
        let skeletons = batch.compactMap { $0.keys?.skeleton }
        let emailKeys = batch.compactMap(\.emailKey)
        var holders: (username: [String: Holder], skeleton: [String: Holder], email: [String: Holder]) = ([:], [:], [:])
        let rows = try await connection.query(
            """
            SELECT id, COALESCE(username, ''), COALESCE(email, ''), username_key, username_skeleton, email_key FROM users
            WHERE username_key = ANY(\(usernameKeys)) OR username_skeleton = ANY(\(skeletons)) OR email_key = ANY(\(emailKeys))
            """,
            logger: self.logger
        )
        for try await (id, username, email, usernameKey, skeleton, emailKey) in rows.decode((Int, String, String, String?, String?, String?).self) {
            if let usernameKey { holders.username[usernameKey] = (id, username) }
            if let skeleton { holders.skeleton[skeleton] = (id, username) }
            if let emailKey { holders.email[emailKey] = (id, email) }
        }
        return holders
    }

    /// One UPDATE per batch; an empty string stands for "no key" in the arrays.
    private func store(_ rows: [Row], on connection: PostgresConnection) async throws {
        guard !rows.isEmpty else { return }
        let ids = rows.map(\.id)
        let usernameKeys = rows.map { $0.keys?.username ?? "" }
        let skeletons = rows.map { $0.keys?.skeleton ?? "" }
        let emailKeys = rows.map { $0.emailKey ?? "" }
        try await connection.query(
            """
            UPDATE users u SET
                username_key = COALESCE(u.username_key, NULLIF(v.username_key, '')),
                username_skeleton = COALESCE(u.username_skeleton, NULLIF(v.skeleton, '')),
                email_key = COALESCE(u.email_key, NULLIF(v.email_key, ''))
            FROM unnest(\(ids)::integer[], \(usernameKeys)::text[], \(skeletons)::text[], \(emailKeys)::text[])
                AS v(id, username_key, skeleton, email_key)
            WHERE u.id = v.id
            """,
            logger: self.logger
        )
    }

    /// One group per key, however many rows share it.
    private static func merged(_ collisions: [UserKeyCollisions.Group]) -> [UserKeyCollisions.Group] {
        var groups: [String: UserKeyCollisions.Group] = [:]
        var order: [String] = []
        for collision in collisions {
            let id = collision.kind + "\u{0}" + collision.key
            if var group = groups[id] {
                for row in collision.rows where !group.rows.contains(where: { $0.id == row.id }) { group.rows.append(row) }
                groups[id] = group
            } else {
                groups[id] = collision
                order.append(id)
            }
        }
        return order.compactMap { groups[$0] }
    }
}

/// Accounts that are the same after normalisation; the service refuses to start until they are
/// renamed (or their emails changed), and says which.
struct UserKeyCollisions: Error, CustomStringConvertible {
    struct Group: Sendable {
        var kind: String
        var key: String
        var rows: [(id: Int, value: String)]
    }

    var groups: [Group]

    var description: String {
        let listed = self.groups.map { group in
            "\(group.kind) \"\(group.key)\": " + group.rows.map { "id \($0.id) \"\($0.value)\"" }.joined(separator: ", ")
        }
        return "\(self.groups.count) group(s) of accounts are the same after normalisation (PRECIS UsernameCaseMapped with "
            + "full case folding; emails case-insensitive with IDNA domains), and accounts are never merged: rename all but one "
            + "account in each group, then start again: " + listed.joined(separator: "; ")
    }
}
