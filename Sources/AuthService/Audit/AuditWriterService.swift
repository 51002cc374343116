import Logging
import Metrics
import ServiceLifecycle

/// Writes the audit trail off the request path: every `interval`, or as soon as a batch is full, the
/// buffered events go to PostgreSQL in batches, one multi-row INSERT each. While PostgreSQL cannot
/// take them they stay buffered (bounded) and are tried again; on a graceful shutdown, which comes
/// after the server has finished its requests, everything still buffered is written before exit
/// (within `shutdownBudget`).
struct AuditWriterService: Service {
    let buffer: AuditBuffer
    let repository: any AuditRepository
    let logger: Logger
    var interval: Duration = .milliseconds(250)
    var retryDelay: Duration = .seconds(1)
    var shutdownBudget: Duration = .seconds(10)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.waitForWork()
                // A shutdown ends the wait: what is left is written below, within the budget.
                guard !Task.isCancelled else { return }
                if await !self.flush() {
                    try? await Task.sleep(for: self.retryDelay)
                }
            }
        }
        let deadline = ContinuousClock.now + self.shutdownBudget
        while await self.buffer.count > 0, ContinuousClock.now < deadline {
            if await !self.flush() {
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
        let lost = await self.buffer.count
        if lost > 0 {
            self.logger.error("Audit events not written before exit: PostgreSQL did not take them", metadata: ["count": "\(lost)"])
            Counter(label: "auth_audit_events_dropped_total", dimensions: [("reason", "shutdown")]).increment(by: lost)
        }
    }

    /// The interval, cut short by a full batch.
    private func waitForWork() async {
        let buffer = self.buffer
        let interval = self.interval
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await buffer.waitForBatch() }
            group.addTask {
                // Also when cancelled (a full batch came first, or shutdown): the waiter must not wait on.
                try? await Task.sleep(for: interval)
                await buffer.wake()
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// Writes batches until the buffer is empty; false when PostgreSQL could not take one.
    private func flush() async -> Bool {
        let written = await self.writeBatches()
        await self.reportDropped()
        return written
    }

    private func writeBatches() async -> Bool {
        while true {
            let batch = await self.buffer.nextBatch()
            guard !batch.isEmpty else { return true }
            do {
                try await self.repository.insert(batch)
                await self.buffer.remove(batch.count)
                Counter(label: "auth_audit_events_written_total").increment(by: batch.count)
            } catch let error as DatabaseUnavailable {
                let pending = await self.buffer.count
                self.logger.warning("Audit events not written yet: PostgreSQL unavailable", metadata: ["error": "\(error)", "pending": "\(pending)"])
                return false
            } catch {
                // Refused for good (not a matter of waiting): retrying would block every later event.
                self.logger.error("Audit events refused by PostgreSQL and dropped", metadata: ["error": "\(String(reflecting: error))", "count": "\(batch.count)"])
                Counter(label: "auth_audit_events_dropped_total", dimensions: [("reason", "refused")]).increment(by: batch.count)
                await self.buffer.remove(batch.count)
            }
        }
    }

    private func reportDropped() async {
        let dropped = await self.buffer.takeDropped()
        guard dropped > 0 else { return }
        self.logger.error("Audit events dropped: the buffer was full", metadata: ["count": "\(dropped)", "capacity": "\(self.buffer.capacity)"])
        Counter(label: "auth_audit_events_dropped_total", dimensions: [("reason", "buffer_full")]).increment(by: dropped)
    }
}
