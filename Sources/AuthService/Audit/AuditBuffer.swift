/// Events waiting to be written, in order, at most ``capacity`` of them: beyond that new events are
/// counted as dropped (and logged by the writer), so a long database outage cannot exhaust memory.
/// Request handlers only append; ``AuditWriterService`` takes batches.
actor AuditBuffer: AuditRecorder {
    let capacity: Int
    let batchSize: Int
    private var pending: [AuditEvent] = []
    private var dropped = 0
    private var waiter: CheckedContinuation<Void, Never>?
    private var woken = false

    init(capacity: Int = 10_000, batchSize: Int = 200) {
        self.capacity = capacity
        self.batchSize = batchSize
    }

    func record(_ event: AuditEvent) {
        guard self.pending.count < self.capacity else {
            self.dropped += 1
            return
        }
        self.pending.append(event)
        if self.pending.count >= self.batchSize { self.wake() }
    }

    var count: Int { self.pending.count }

    /// The oldest events, up to a batch, left in place until ``remove(_:)`` confirms they are stored.
    func nextBatch() -> [AuditEvent] {
        Array(self.pending.prefix(self.batchSize))
    }

    /// Forgets the oldest `count` events (a batch that was stored, or refused for good).
    func remove(_ count: Int) {
        self.pending.removeFirst(min(count, self.pending.count))
    }

    /// How many events were dropped since the last call.
    func takeDropped() -> Int {
        defer { self.dropped = 0 }
        return self.dropped
    }

    /// Returns once a batch is full or ``wake()`` is called (at once if either happened already).
    func waitForBatch() async {
        if self.woken || self.pending.count >= self.batchSize {
            self.woken = false
            return
        }
        await withCheckedContinuation { self.waiter = $0 }
    }

    func wake() {
        if let waiter = self.waiter {
            self.waiter = nil
            self.woken = false
            waiter.resume()
        } else {
            self.woken = true
        }
    }
}
