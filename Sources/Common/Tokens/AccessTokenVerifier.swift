/// Verifies access tokens for a service that awaits: keys from a provider (static in the auth
/// service, the JWKS elsewhere), checks by ``AccessTokenRules``, and a bounded memory of verified
/// signatures (``VerifiedTokenCache``) so a token seen before costs no signature check; the claim
/// checks still run every time.
package struct AccessTokenVerifier: Sendable {
    private let keys: any VerificationKeyProvider
    private let cache: VerifiedTokenCacheActor
    private let rules: AccessTokenRules
    private let clock: any WallClock

    package init(
        keys: any VerificationKeyProvider,
        issuer: String,
        audience: String,
        leeway: Double = Double(TokenSettings.defaultLeeway),
        cacheCapacity: Int = 10_000,
        clock: any WallClock = SystemWallClock()
    ) {
        self.keys = keys
        self.rules = AccessTokenRules(issuer: issuer, audience: audience, leeway: leeway)
        self.cache = VerifiedTokenCacheActor(capacity: cacheCapacity)
        self.clock = clock
    }

    package func verify(_ token: String) async throws(TokenVerificationError) -> AccessTokenClaims {
        let now = self.clock.now()
        var keys = await self.keys.currentKeys()
        if let claims = await self.cache.claims(for: token, now: now, keys: keys) {
            try self.rules.checkTimes(claims, now: now)
            return claims
        }
        let verified: (claims: AccessTokenClaims, kid: String)
        do {
            verified = try self.rules.verifiedToken(token, keys: keys, now: now)
        } catch let error where error.code == .unknownKey {
            // A key published after our last look: fetch once (the provider rate-limits it) and retry.
            keys = await self.keys.refreshedKeys()
            verified = try self.rules.verifiedToken(token, keys: keys, now: now)
        }
        await self.cache.insert(verified.claims, kid: verified.kid, for: token, now: now)
        return verified.claims
    }
}

/// The cache of ``AccessTokenVerifier``, shared by its callers' tasks.
actor VerifiedTokenCacheActor {
    private var cache: VerifiedTokenCache

    init(capacity: Int) {
        self.cache = VerifiedTokenCache(capacity: capacity)
    }

    func claims(for token: String, now: Double, keys: VerificationKeySet) -> AccessTokenClaims? {
        self.cache.claims(for: token, now: now, keys: keys)
    }

    func insert(_ claims: AccessTokenClaims, kid: String, for token: String, now: Double) {
        self.cache.insert(claims, kid: kid, for: token, now: now)
    }
}
