/// Lets the timing-sensitive live tests (deadlines, revocation lag, upstream timeouts) and the
/// heavy ones (streaming many MiB) run one at a time, while the other live tests of this target run
/// side by side: on two cores, a test measuring 100 ms must not share them with one pushing 48 MiB.
/// Waiting exclusive tests go first; shared ones wait for them.
actor LiveTestGate {
    static let shared = LiveTestGate()

    private var sharedHolders = 0
    private var exclusiveHeld = false
    private var waitingExclusive: [CheckedContinuation<Void, Never>] = []
    private var waitingShared: [CheckedContinuation<Void, Never>] = []

    /// Runs `body` holding the gate, alone when `exclusive`.
    nonisolated func withPass<T: Sendable>(exclusive: Bool, _ body: () async throws -> T) async throws -> T {
        await self.acquire(exclusive: exclusive)
        do {
            let result = try await body()
            await self.release(exclusive: exclusive)
            return result
        } catch {
            await self.release(exclusive: exclusive)
            throw error
        }
    }

    private func acquire(exclusive: Bool) async {
        if exclusive {
            if !self.exclusiveHeld, self.sharedHolders == 0 {
                self.exclusiveHeld = true
                return
            }
            await withCheckedContinuation { self.waitingExclusive.append($0) }
        } else {
            if !self.exclusiveHeld, self.waitingExclusive.isEmpty {
                self.sharedHolders += 1
                return
            }
            await withCheckedContinuation { self.waitingShared.append($0) }
        }
    }

    /// Hands the gate on: to the next exclusive test once nobody holds it, else to every waiting shared one.
    private func release(exclusive: Bool) {
        if exclusive { self.exclusiveHeld = false } else { self.sharedHolders -= 1 }
        guard !self.exclusiveHeld, self.sharedHolders == 0 || self.waitingExclusive.isEmpty else { return }
        if self.sharedHolders == 0, !self.waitingExclusive.isEmpty {
            self.exclusiveHeld = true
            self.waitingExclusive.removeFirst().resume()
        } else if self.waitingExclusive.isEmpty {
            self.sharedHolders += self.waitingShared.count
            for waiter in self.waitingShared { waiter.resume() }
            self.waitingShared.removeAll()
        }
    }
}
