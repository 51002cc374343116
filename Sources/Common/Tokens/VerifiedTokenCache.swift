/// A bounded memory of tokens whose signature has already been checked.
///
/// An entry never outlives its token's `exp`, and a hit still goes through every time-based claim
/// check; revocation is not cached here at all. Keyed on the whole compact token, so a tampered byte
/// is a miss. A value type: each owner (an actor, an event loop) keeps its own, so nothing contends.
package struct VerifiedTokenCache: Sendable {
    private var entries: [String: AccessTokenClaims] = [:]
    private let capacity: Int

    package init(capacity: Int = 10_000) {
        self.capacity = max(capacity, 1)
    }

    package mutating func claims(for token: String, now: Double) -> AccessTokenClaims? {
        guard let claims = self.entries[token] else { return nil }
        if Double(claims.exp) <= now {
            self.entries[token] = nil
            return nil
        }
        return claims
    }

    package mutating func insert(_ claims: AccessTokenClaims, for token: String, now: Double) {
        if self.entries.count >= self.capacity {
            self.evict(now: now)
        }
        self.entries[token] = claims
    }

    package var count: Int { self.entries.count }

    /// Drops expired entries; when none had expired, drops an arbitrary half so the cost is amortised.
    private mutating func evict(now: Double) {
        self.entries = self.entries.filter { Double($0.value.exp) > now }
        if self.entries.count >= self.capacity {
            let keep = self.entries.prefix(self.capacity / 2)
            self.entries = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
    }
}
