@testable import AuthService
import Common
import Foundation

/// In-memory throttle for handler tests.
actor MemorySigninThrottle: SigninThrottle {
    private let policy: SigninThrottlePolicy
    private let clock: any WallClock
    private var failures: [String: Int] = [:]
    private var lockedUntil: [String: Double] = [:]

    init(policy: SigninThrottlePolicy = SigninThrottlePolicy(), clock: any WallClock = SystemWallClock()) {
        self.policy = policy
        self.clock = clock
    }

    func lockedFor(username: String) async throws -> Int? {
        guard let until = self.lockedUntil[throttleKey(username)] else { return nil }
        let remaining = Int((until - self.clock.now()).rounded(.up))
        return remaining > 0 ? remaining : nil
    }

    func recordFailure(username: String) async throws {
        let name = throttleKey(username)
        let count = self.failures[name, default: 0] + 1
        self.failures[name] = count
        let lock = self.policy.lock(afterFailures: count)
        if lock > 0 {
            self.lockedUntil[name] = self.clock.now() + Double(lock)
        }
    }

    func recordSuccess(username: String) async throws {
        self.failures[throttleKey(username)] = nil
        self.lockedUntil[throttleKey(username)] = nil
    }
}
