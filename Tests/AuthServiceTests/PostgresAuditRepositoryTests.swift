@testable import AuthService
import Common
import Foundation
import PostgresNIO
import Testing

@Suite("The audit trail in PostgreSQL: batches in order, newest first, filters, paging, retention")
struct PostgresAuditRepositoryTests {
    private func withTrail(_ body: (PostgresAuditRepository, PostgresClient) async throws -> Void) async throws {
        try await withMigratedDatabase { client in
            try await body(PostgresAuditRepository(database: TimeBoundDatabase(client: client), logger: storeLogger), client)
        }
    }

    /// Times in eighths of a second: exact in a Double and in PostgreSQL's microseconds, so they compare equal.
    private let start = Date(timeIntervalSince1970: 1_800_000_000)

    private func event(_ type: AuditEventType, user: Int?, second: Double, details: [String: JSONValue] = [:]) -> AuditEvent {
        AuditEvent(
            type, occurredAt: self.start.addingTimeInterval(second), userID: user, actorID: user.map { $0 + 100 },
            client: ClientDetails(ip: "192.0.2.\(Int(second))", userAgent: "agent \(second)"), requestID: "r\(second)", details: details
        )
    }

    @Test("a batch is one insert, stored as given, read back newest first with every field")
    func roundTrip() async throws {
        try await self.withTrail { trail, client in
            let events = (0..<200).map { self.event(.signinFailed, user: $0 % 3 == 0 ? nil : $0, second: Double($0) * 0.125, details: ["reason": "wrong_password", "n": .number(Double($0))]) }
            try await trail.insert(events)

            let read = try await trail.events(AuditQuery(limit: 100))
            #expect(read.count == 100)
            #expect(read.map(\.event) == Array(events.reversed().prefix(100)))
            #expect(read.map(\.id) == read.map(\.id).sorted(by: >))
            #expect(try await column(client, "SELECT count(*)::text FROM auth_audit_events") == ["200"])
            let bare = AuditEvent(.signup, occurredAt: self.start.addingTimeInterval(100))
            try await trail.insert([bare])
            #expect(try await trail.events(AuditQuery(limit: 1)).map(\.event) == [bare], "absent values stay absent")
        }
    }

    @Test("filters by user and by type, pages with before, and an unknown cursor has nothing before it")
    func filtersAndPaging() async throws {
        try await self.withTrail { trail, _ in
            var events: [AuditEvent] = []
            for index in 0..<30 {
                events.append(self.event(index % 2 == 0 ? .signinSucceeded : .signout, user: index % 3 == 0 ? 7 : 8, second: Double(index)))
            }
            try await trail.insert(events)

            let mine = try await trail.events(AuditQuery(userID: 7, limit: 100))
            #expect(mine.map(\.event) == events.filter { $0.userID == 7 }.reversed())
            let signouts = try await trail.events(AuditQuery(userID: 8, type: .signout, limit: 100))
            #expect(signouts.map(\.event) == events.filter { $0.userID == 8 && $0.type == .signout }.reversed())

            var pages: [[AuditEvent]] = []
            var before: Int64?
            repeat {
                let page = try await trail.events(AuditQuery(before: before, limit: 7))
                pages.append(page.map(\.event))
                before = page.count == 7 ? page.last?.id : nil
            } while before != nil
            #expect(pages.map(\.count) == [7, 7, 7, 7, 2])
            #expect(pages.flatMap { $0 } == events.reversed())
            #expect(try await trail.events(AuditQuery(before: 999_999, limit: 10)).isEmpty)
        }
    }

    @Test("text that PostgreSQL cannot hold (U+0000) is removed rather than failing the batch")
    func unstorableText() async throws {
        try await self.withTrail { trail, _ in
            let event = AuditEvent(.signinFailed, occurredAt: self.start, client: ClientDetails(ip: "a\u{0}b", userAgent: "x\u{0}y"), requestID: "r\u{0}")
            try await trail.insert([event])
            let stored = try #require(try await trail.events(AuditQuery(limit: 1)).first)
            #expect(stored.event.client == ClientDetails(ip: "ab", userAgent: "xy") && stored.event.requestID == "r")
        }
    }

    @Test("the purge deletes only what is older than the cut-off, in chunks, and says how many")
    func purge() async throws {
        try await self.withTrail { trail, _ in
            let old = (0..<25).map { self.event(.signup, user: $0 + 1, second: Double($0)) }
            let recent = (0..<5).map { self.event(.signup, user: $0 + 1, second: 86_400 * 400 + Double($0)) }
            try await trail.insert(old + recent)
            #expect(try await trail.purge(olderThan: self.start.addingTimeInterval(86_400)) == 25)
            #expect(try await trail.events(AuditQuery(limit: 100)).map(\.event) == recent.reversed())
            #expect(try await trail.purge(olderThan: self.start.addingTimeInterval(86_400)) == 0)
        }
    }

    @Test("migration 6 indexes the admin queries: by user and time, by type and time, by time")
    func indexes() async throws {
        try await self.withTrail { _, client in
            let definitions = try await column(client, "SELECT indexdef FROM pg_indexes WHERE tablename = 'auth_audit_events' ORDER BY indexname")
            #expect(definitions.contains { $0.contains(#"("occurredAt" DESC, id DESC)"#) && !$0.contains("userId") && !$0.contains("type,") })
            #expect(definitions.contains { $0.contains(#"("userId", "occurredAt" DESC, id DESC)"#) })
            #expect(definitions.contains { $0.contains(#"(type, "occurredAt" DESC, id DESC)"#) })
            #expect(try await column(client, #"SELECT count(*)::text FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'disabledAt'"#) == ["1"])
        }
    }
}
