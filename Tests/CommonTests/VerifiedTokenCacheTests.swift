import Common
import Testing
import TestSupport

@Suite("VerifiedTokenCache stays bounded and never serves an expired entry")
struct VerifiedTokenCacheTests {
    let keys: VerificationKeySet
    let kid: String

    init() async throws {
        let key = try #require(try await TokenMint().jwk.verificationKey())
        self.keys = VerificationKeySet([key])
        self.kid = key.kid
    }

    private func claims(exp: Int) -> AccessTokenClaims {
        AccessTokenClaims(iss: "i", aud: "a", id: 1, roles: ["user"], sid: "s", jti: "j", iat: exp - 60, exp: exp)
    }

    @Test("inserting far more tokens than the capacity never holds more than the capacity")
    func staysWithinCapacity() {
        var cache = VerifiedTokenCache(capacity: 8)
        for index in 0..<1_000 {
            cache.insert(self.claims(exp: 2_000), kid: self.kid, for: "token-\(index)", now: 1_000)
            #expect(cache.count <= 8)
        }
        #expect(cache.claims(for: "token-999", now: 1_000, keys: self.keys) != nil)
    }

    @Test("when full, expired entries are dropped first and live ones kept")
    func evictsExpiredFirst() {
        var cache = VerifiedTokenCache(capacity: 4)
        cache.insert(self.claims(exp: 1_500), kid: self.kid, for: "live", now: 1_000)
        for index in 0..<3 {
            cache.insert(self.claims(exp: 1_100), kid: self.kid, for: "short-\(index)", now: 1_000)
        }

        cache.insert(self.claims(exp: 3_000), kid: self.kid, for: "new", now: 1_200)

        #expect(cache.count == 2)
        #expect(cache.claims(for: "live", now: 1_200, keys: self.keys) != nil)
        #expect(cache.claims(for: "new", now: 1_200, keys: self.keys) != nil)
    }

    @Test("an entry is not returned once its exp has passed, and is forgotten")
    func expiredEntryIsAMiss() {
        var cache = VerifiedTokenCache()
        cache.insert(self.claims(exp: 1_060), kid: self.kid, for: "t", now: 1_000)

        #expect(cache.claims(for: "t", now: 1_059, keys: self.keys) != nil)
        #expect(cache.claims(for: "t", now: 1_060, keys: self.keys) == nil)
        #expect(cache.count == 0)
    }

    @Test("an entry whose signing key is no longer published is a miss, and is forgotten")
    func retiredKeyIsAMiss() {
        var cache = VerifiedTokenCache()
        cache.insert(self.claims(exp: 2_000), kid: self.kid, for: "t", now: 1_000)

        #expect(cache.claims(for: "t", now: 1_000, keys: VerificationKeySet()) == nil)
        #expect(cache.count == 0)
        #expect(cache.claims(for: "t", now: 1_000, keys: self.keys) == nil)
    }

    @Test("a capacity below one still caches one token")
    func capacityIsAtLeastOne() {
        var cache = VerifiedTokenCache(capacity: 0)
        cache.insert(self.claims(exp: 2_000), kid: self.kid, for: "a", now: 1_000)
        cache.insert(self.claims(exp: 2_000), kid: self.kid, for: "b", now: 1_000)

        #expect(cache.count == 1)
        #expect(cache.claims(for: "b", now: 1_000, keys: self.keys) != nil)
    }
}
