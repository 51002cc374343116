import Common
import Crypto
import Foundation
import Redis

/// Per-account back-off on failed signins, whoever the caller is: after `freeFailures` failures
/// within an hour each further failure locks the name for twice as long as the last, up to
/// `maximumLock` seconds. With the defaults (5, 900 s) that is at most about 20 failures an hour.
/// Unknown names are throttled exactly like real ones, so the lock reveals nothing.
protocol SigninThrottle: Sendable {
    /// Seconds until the account may try again, or `nil` when it may try now.
    func lockedFor(username: String) async throws -> Int?
    func recordFailure(username: String) async throws
    func recordSuccess(username: String) async throws
}

struct SigninThrottlePolicy: Sendable, Equatable {
    var freeFailures: Int = 5
    var maximumLock: Int = 900
    /// Failures are counted over this many seconds.
    var window: Int = 3600

    /// Lock after the `failures`-th failure, in seconds (0: none yet).
    func lock(afterFailures failures: Int) -> Int {
        guard failures >= self.freeFailures else { return 0 }
        let exponent = min(failures - self.freeFailures, 30)
        return min(self.maximumLock, 1 << exponent)
    }
}

/// The throttle's counters in Redis, so every replica sees the same failures.
struct RedisSigninThrottle: SigninThrottle {
    let redis: RedisClient
    let policy: SigninThrottlePolicy

    func lockedFor(username: String) async throws -> Int? {
        // PTTL, not TTL: TTL rounds, so a 1 s lock read 0 after half a second and stopped counting.
        Self.lockSeconds(remainingMilliseconds: try await self.redis.send("PTTL", Self.lockKey(username)).int ?? -2)
    }

    /// Whole seconds until a lock with this PTTL ends, rounded up; `nil` when there is none (-2) or it
    /// has no expiry (-1, never written by us).
    static func lockSeconds(remainingMilliseconds milliseconds: Int) -> Int? {
        milliseconds > 0 ? (milliseconds + 999) / 1000 : nil
    }

    func recordFailure(username: String) async throws {
        _ = try await self.redis.eval(
            Self.failureScript,
            keys: [Self.failureKey(username), Self.lockKey(username)],
            arguments: [String(self.policy.freeFailures), String(self.policy.maximumLock), String(self.policy.window)]
        )
    }

    func recordSuccess(username: String) async throws {
        try await self.redis.send("DEL", Self.failureKey(username), Self.lockKey(username))
    }

    /// Counted per account key, so every spelling of one name shares one budget.
    private static func account(_ username: String) -> String {
        SHA256.hash(data: Data(throttleKey(username).utf8)).prefix(16).map { String(format: "%02x", $0) }.joined()
    }

    static func failureKey(_ username: String) -> String { "signin:fail:" + self.account(username) }
    static func lockKey(_ username: String) -> String { "signin:lock:" + self.account(username) }

    /// KEYS: failures, lock. ARGV: free failures, maximum lock, window.
    static let failureScript = """
        local n = redis.call('INCR', KEYS[1])
        if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
        local free = tonumber(ARGV[1])
        if n >= free then
            local lock = math.min(tonumber(ARGV[2]), 2 ^ math.min(n - free, 30))
            redis.call('SET', KEYS[2], '1', 'EX', math.floor(lock))
        end
        return n
        """
}

/// The account key a name is throttled under (``UsernameProfile/key(of:)``); lower-cased should
/// ICU ever fail, so that a failure never lifts the throttle.
func throttleKey(_ username: String) -> String {
    (try? UsernameProfile.key(of: username)) ?? username.lowercased()
}
