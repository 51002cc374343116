/// Wakes the delivery worker when this replica has just queued a mail, so it goes out at once
/// rather than at the next poll.
actor MailOutboxSignal {
    private var waiter: CheckedContinuation<Void, Never>?
    private var pending = false

    func notify() {
        if let waiter = self.waiter {
            self.waiter = nil
            waiter.resume()
        } else {
            self.pending = true
        }
    }

    /// Returns at the next ``notify()`` (at once if one came since the last wait) or after `timeout`.
    func wait(upTo timeout: Duration) async {
        if self.pending {
            self.pending = false
            return
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.suspend() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                await self.notify()
            }
            await group.next()
            group.cancelAll()
        }
        self.pending = false
    }

    /// Waits for the next ``notify()``; at once when one came first (the timer's included), so that
    /// the task group in ``wait(upTo:)`` always ends.
    private func suspend() async {
        if self.pending {
            self.pending = false
            return
        }
        await withCheckedContinuation { self.waiter = $0 }
    }
}
