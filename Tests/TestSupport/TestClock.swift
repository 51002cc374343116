import Common
import Foundation
import Synchronization

/// A wall clock the test moves by hand, so expiry and lifetimes are tested without waiting.
///
/// It starts at the real time by default, so the tokens it dates look ordinary to anything that
/// compares them with the real clock; a test that needs a fixed instant passes one.
package final class TestClock: WallClock {
    private let seconds: Atomic<Int64>

    package init(_ now: Int64 = Int64(Date().timeIntervalSince1970)) {
        self.seconds = Atomic(now)
    }

    package func now() -> Double { Double(self.seconds.load(ordering: .relaxed)) }

    package func advance(by seconds: Int64) {
        self.seconds.add(seconds, ordering: .relaxed)
    }
}
