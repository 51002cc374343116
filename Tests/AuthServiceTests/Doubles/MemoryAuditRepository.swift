@testable import AuthService
import Foundation

/// The trail in memory, for handler tests: recording stores at once.
actor MemoryAuditRepository: AuditRepository, AuditRecorder {
    private var stored: [StoredAuditEvent] = []
    private var nextID: Int64 = 1

    init() {}

    func record(_ event: AuditEvent) {
        self.append(event)
    }

    func insert(_ events: [AuditEvent]) {
        events.forEach(self.append)
    }

    func events(_ query: AuditQuery) -> [StoredAuditEvent] {
        let newestFirst = self.stored.sorted { ($0.event.occurredAt, $0.id) > ($1.event.occurredAt, $1.id) }
        var matching = newestFirst.filter { stored in
            (query.userID == nil || stored.event.userID == query.userID) && (query.type == nil || stored.event.type == query.type)
        }
        if let before = query.before {
            guard let cursor = self.stored.first(where: { $0.id == before }) else { return [] }
            matching = matching.filter { ($0.event.occurredAt, $0.id) < (cursor.event.occurredAt, cursor.id) }
        }
        return Array(matching.prefix(query.limit))
    }

    @discardableResult
    func purge(olderThan date: Date) -> Int {
        let before = self.stored.count
        self.stored.removeAll { $0.event.occurredAt < date }
        return before - self.stored.count
    }

    /// Every event, oldest first.
    var all: [AuditEvent] { self.stored.map(\.event) }

    private func append(_ event: AuditEvent) {
        self.stored.append(StoredAuditEvent(id: self.nextID, event: event))
        self.nextID += 1
    }
}
