@testable import AuthService
import Testing

@Suite("The worker's wake-up call: a notify ends the wait, so does the timeout, and an early notify is kept")
struct MailOutboxSignalTests {
    @Test("a wait with nothing to wake it ends at its timeout")
    func timeout() async {
        let signal = MailOutboxSignal()
        let started = ContinuousClock.now
        await signal.wait(upTo: .milliseconds(100))
        #expect(ContinuousClock.now - started >= .milliseconds(100))
    }

    @Test("a notify before the wait is not lost: the wait returns at once")
    func earlyNotify() async {
        let signal = MailOutboxSignal()
        await signal.notify()
        let started = ContinuousClock.now
        await signal.wait(upTo: .seconds(120))
        // Far below the timeout even on a machine so busy that a task waits seconds for a core.
        #expect(ContinuousClock.now - started < .seconds(60))
    }

    @Test("a notify during the wait ends it long before the timeout, and waits after it wait again")
    func notifyDuringWait() async {
        let signal = MailOutboxSignal()
        let started = ContinuousClock.now
        async let waited: Void = signal.wait(upTo: .seconds(120))
        try? await Task.sleep(for: .milliseconds(50))
        await signal.notify()
        await waited
        #expect(ContinuousClock.now - started < .seconds(60))
        // Nothing left over from the first wait's timer: the next one waits for its own timeout.
        let again = ContinuousClock.now
        await signal.wait(upTo: .milliseconds(100))
        #expect(ContinuousClock.now - again >= .milliseconds(100))
    }

    @Test("many waits in a row with short timeouts all end (no wait is left hanging on its own timer)")
    func manyShortWaits() async {
        let signal = MailOutboxSignal()
        for _ in 0..<200 { await signal.wait(upTo: .milliseconds(1)) }
    }
}
