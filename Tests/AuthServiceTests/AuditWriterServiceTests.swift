@testable import AuthService
import Common
import Foundation
import Logging
import ServiceLifecycle
import Testing

/// A trail that records each insert call, and can be told to be unavailable for a while.
private actor RecordingTrail: AuditRepository {
    private(set) var batches: [[AuditEvent]] = []
    var failuresLeft = 0

    func failNext(_ count: Int) { self.failuresLeft = count }

    func insert(_ events: [AuditEvent]) throws {
        if self.failuresLeft > 0 {
            self.failuresLeft -= 1
            throw DatabaseUnavailable(code: .timedOut, operation: "write audit events")
        }
        self.batches.append(events)
    }

    func events(_ query: AuditQuery) -> [StoredAuditEvent] { [] }
    func purge(olderThan date: Date) -> Int { 0 }

    var stored: [AuditEvent] { self.batches.flatMap { $0 } }
}

@Suite("The audit writer: off the request path, batched, bounded, retried, flushed at shutdown")
struct AuditWriterServiceTests {
    private let logger = Logger(label: "audit-tests")

    private func events(_ count: Int, from: Int = 0) -> [AuditEvent] {
        (from..<(from + count)).map { AuditEvent(.signinSucceeded, occurredAt: Date(timeIntervalSince1970: Double($0)), userID: $0 + 1) }
    }

    /// Runs the writer in a service group for `body`, then shuts it down gracefully.
    private func running(
        _ buffer: AuditBuffer, _ trail: RecordingTrail, retryDelay: Duration = .milliseconds(50), _ body: () async throws -> Void
    ) async throws {
        let writer = AuditWriterService(buffer: buffer, repository: trail, logger: self.logger, retryDelay: retryDelay)
        let group = ServiceGroup(configuration: .init(services: [writer], logger: self.logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await body()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    /// `limit` only bounds a failure: on a loaded machine the writer's sleeps stretch.
    private func eventually(_ what: String, within limit: Duration = .seconds(20), _ condition: () async -> Bool) async throws {
        let deadline = ContinuousClock.now + limit
        while await !condition() {
            try #require(ContinuousClock.now < deadline, "\(what) within \(limit)")
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    @Test("recorded events reach the trail within the interval, in order, at most 200 to an insert")
    func batches() async throws {
        let buffer = AuditBuffer()
        let trail = RecordingTrail()
        let recorded = self.events(450)
        try await self.running(buffer, trail) {
            for event in recorded { await buffer.record(event) }
            try await self.eventually("all 450 written") { await trail.stored.count == 450 }
        }
        #expect(await trail.stored == recorded)
        #expect(await trail.batches.allSatisfy { $0.count <= 200 })
        #expect(await trail.batches.count >= 3)
    }

    @Test("a full batch is written at once, without waiting out the interval")
    func fullBatchWakesTheWriter() async throws {
        let buffer = AuditBuffer(batchSize: 200)
        let trail = RecordingTrail()
        let writer = AuditWriterService(buffer: buffer, repository: trail, logger: self.logger, interval: .seconds(30))
        let group = ServiceGroup(configuration: .init(services: [writer], logger: self.logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            for event in self.events(10) { await buffer.record(event) }
            try await Task.sleep(for: .milliseconds(300))
            #expect(await trail.stored.isEmpty, "10 events wait for the 30 s interval")
            for event in self.events(190, from: 10) { await buffer.record(event) }
            try await self.eventually("the full batch written long before 30 s", within: .seconds(3)) { await trail.stored.count == 200 }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test("while PostgreSQL is unavailable the events stay buffered, and are written in order once it answers")
    func retriedWhileUnavailable() async throws {
        let buffer = AuditBuffer()
        let trail = RecordingTrail()
        await trail.failNext(5)
        let recorded = self.events(30)
        try await self.running(buffer, trail) {
            for event in recorded { await buffer.record(event) }
            try await self.eventually("written after 5 refusals") { await trail.stored.count == 30 }
        }
        #expect(await trail.stored == recorded)
        #expect(await trail.failuresLeft == 0)
    }

    @Test("beyond its capacity the buffer drops new events, counts them, and keeps the ones it has")
    func bounded() async throws {
        let buffer = AuditBuffer(capacity: 100, batchSize: 20)
        for event in self.events(130) { await buffer.record(event) }
        #expect(await buffer.count == 100)
        #expect(await buffer.takeDropped() == 30)
        #expect(await buffer.takeDropped() == 0)
        #expect(await buffer.nextBatch() == Array(self.events(20)))
    }

    @Test("a graceful shutdown writes everything still buffered before the service returns")
    func flushedAtShutdown() async throws {
        let buffer = AuditBuffer()
        let trail = RecordingTrail()
        let writer = AuditWriterService(buffer: buffer, repository: trail, logger: self.logger, interval: .seconds(30))
        let group = ServiceGroup(configuration: .init(services: [writer], logger: self.logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            for event in self.events(50) { await buffer.record(event) }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(await trail.stored == self.events(50))
    }
}
