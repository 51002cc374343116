import Common
import Foundation
import Logging
import PostgresNIO

/// The audit trail in `auth_audit_events`, every statement under the database deadline. Rows are
/// only ever appended (and purged by age); reads go newest first on the indexes of migration 6.
struct PostgresAuditRepository: AuditRepository {
    let database: TimeBoundDatabase
    let logger: Logger
    /// Rows deleted per purge statement, so one purge never holds locks for long.
    static let purgeChunk = 10_000

    func insert(_ events: [AuditEvent]) async throws {
        guard !events.isEmpty else { return }
        // Columns as arrays, unnested into rows: one statement for the whole batch. 0 and "" stand
        // for NULL (ids are positive). U+0000 cannot be stored in text or jsonb: it is removed.
        let microseconds = events.map { Int64(($0.occurredAt.timeIntervalSince1970 * 1_000_000).rounded()) }
        let types = events.map(\.type.rawValue)
        let users = events.map { $0.userID ?? 0 }
        let actors = events.map { $0.actorID ?? 0 }
        let ips = events.map { Self.storable($0.client.ip) }
        let agents = events.map { Self.storable($0.client.userAgent) }
        let requests = events.map { Self.storable($0.requestID) }
        let details = try events.map { Self.storable(String(decoding: try JSONEncoder.sortedKeys.encode($0.details), as: UTF8.self)) }
        let logger = self.logger
        try await self.database.run("write audit events") { connection, deadline in
            let rows = try await connection.query(
                """
                INSERT INTO auth_audit_events ("occurredAt", type, "userId", "actorId", ip, "userAgent", "requestId", details)
                SELECT timestamptz 'epoch' + at * interval '1 microsecond', type, NULLIF(uid, 0), NULLIF(aid, 0),
                    NULLIF(ip, ''), NULLIF(ua, ''), NULLIF(rid, ''), details::jsonb
                FROM unnest(\(microseconds)::bigint[], \(types)::text[], \(users)::integer[], \(actors)::integer[],
                    \(ips)::text[], \(agents)::text[], \(requests)::text[], \(details)::text[])
                    WITH ORDINALITY AS e(at, type, uid, aid, ip, ua, rid, details, n)
                WHERE clock_timestamp() < \(deadline.date)
                ORDER BY n
                RETURNING id
                """,
                logger: logger
            )
            var written = 0
            for try await _ in rows.decode(Int64.self) { written += 1 }
            guard written == events.count else {
                throw DatabaseUnavailable(code: .writeDeadlinePassed, operation: "write audit events")
            }
        }
    }

    func events(_ query: AuditQuery) async throws -> [StoredAuditEvent] {
        var conditions: [String] = []
        var binds = PostgresBindings()
        if let userID = query.userID {
            binds.append(userID)
            conditions.append(#""userId" = $\#(binds.count)"#)
        }
        if let type = query.type {
            binds.append(type.rawValue)
            conditions.append("type = $\(binds.count)")
        }
        if let before = query.before {
            binds.append(before)
            // Keyset paging on the index order; an unknown cursor has nothing before it.
            conditions.append(#"("occurredAt", id) < (SELECT "occurredAt", id FROM auth_audit_events WHERE id = $\#(binds.count))"#)
        }
        binds.append(query.limit)
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let statement = PostgresQuery(
            unsafeSQL: """
                SELECT id, "occurredAt", type, "userId", "actorId", ip, "userAgent", "requestId", details::text
                FROM auth_audit_events \(filter)
                ORDER BY "occurredAt" DESC, id DESC LIMIT $\(binds.count)
                """,
            binds: binds
        )
        let logger = self.logger
        return try await self.database.run("read audit events") { connection, _ in
            var found: [StoredAuditEvent] = []
            let rows = try await connection.query(statement, logger: logger)
            for try await (id, occurredAt, type, userID, actorID, ip, agent, requestID, details) in rows.decode(
                (Int64, Date, String, Int?, Int?, String?, String?, String?, String).self
            ) {
                guard let type = AuditEventType(rawValue: type) else { continue }
                let values = (try? JSONDecoder().decode([String: JSONValue].self, from: Data(details.utf8))) ?? [:]
                found.append(StoredAuditEvent(id: id, event: AuditEvent(
                    type, occurredAt: occurredAt, userID: userID, actorID: actorID,
                    client: ClientDetails(ip: ip, userAgent: agent), requestID: requestID, details: values
                )))
            }
            return found
        }
    }

    @discardableResult
    func purge(olderThan date: Date) async throws -> Int {
        let logger = self.logger
        var total = 0
        while true {
            let deleted = try await self.database.run("purge audit events") { connection, deadline in
                let rows = try await connection.query(
                    """
                    DELETE FROM auth_audit_events WHERE id IN (
                        SELECT id FROM auth_audit_events WHERE "occurredAt" < \(date) ORDER BY "occurredAt" LIMIT \(Self.purgeChunk)
                    ) AND clock_timestamp() < \(deadline.date)
                    RETURNING id
                    """,
                    logger: logger
                )
                var count = 0
                for try await _ in rows.decode(Int64.self) { count += 1 }
                return count
            }
            total += deleted
            if deleted < Self.purgeChunk { return total }
        }
    }

    private static func storable(_ text: String?) -> String {
        (text ?? "").replacingOccurrences(of: "\u{0}", with: "")
    }
}
