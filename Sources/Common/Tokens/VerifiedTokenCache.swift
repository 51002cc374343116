/// A bounded memory of tokens whose signature has already been checked.
///
/// An entry never outlives its token's `exp` nor its signing key's presence in the key set, and a
/// hit still goes through every time-based claim check; revocation is not cached here at all. Keyed
/// on the whole compact token, so a tampered byte is a miss. A value type: each owner (an actor, an
/// event loop) keeps its own, so nothing contends.
package struct VerifiedTokenCache: Sendable {
    private struct Entry: Sendable {
        var claims: AccessTokenClaims
        var kid: String
    }

    private var entries: [String: Entry] = [:]
    private let capacity: Int

    package init(capacity: Int = 10_000) {
        self.capacity = max(capacity, 1)
    }

    /// The claims of `token` if it was verified before, is not expired and its key is still in `keys`.
    package mutating func claims(for token: String, now: Double, keys: VerificationKeySet) -> AccessTokenClaims? {
        guard let entry = self.entries[token] else { return nil }
        if Double(entry.claims.exp) <= now || keys.key(for: entry.kid) == nil {
            self.entries[token] = nil
            return nil
        }
        return entry.claims
    }

    package mutating func insert(_ claims: AccessTokenClaims, kid: String, for token: String, now: Double) {
        if self.entries.count >= self.capacity {
            self.evict(now: now)
        }
        self.entries[token] = Entry(claims: claims, kid: kid)
    }

    package var count: Int { self.entries.count }

    /// Drops expired entries; when none had expired, drops an arbitrary half so the cost is amortised.
    private mutating func evict(now: Double) {
        self.entries = self.entries.filter { Double($0.value.claims.exp) > now }
        if self.entries.count >= self.capacity {
            let keep = self.entries.prefix(self.capacity / 2)
            self.entries = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
    }
}
