import Foundation

/// The time source for token checks; tests inject a fixed or advancing one.
package protocol WallClock: Sendable {
    /// Seconds since the Unix epoch.
    func now() -> Double
}

package struct SystemWallClock: WallClock {
    package init() {}
    package func now() -> Double { Date().timeIntervalSince1970 }
}
