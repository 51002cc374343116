import Common
import Redis

/// Answers "has this access token been revoked?" in one Redis round trip, for the auth service's own
/// checks (a privileged signup). Gateways keep the same record in memory from ``RevocationStream``.
///
/// A token is revoked when its `jti` is denylisted (signout), its session is (signout, refresh-token
/// reuse, global signout), it was issued before its user's cut-off, or under a credential epoch below
/// the user's (an account change).
struct RevocationList: Sendable {
    private let redis: RedisClient

    init(redis: RedisClient) {
        self.redis = redis
    }

    /// Throws ``RedisError`` when Redis cannot answer: callers must fail closed.
    func isRevoked(_ claims: AccessTokenClaims) async throws -> Bool {
        let reply = try await self.redis.send(
            "MGET",
            RevocationKeys.token(claims.jti),
            RevocationKeys.session(claims.sid),
            RevocationKeys.tokenCutoff(claims.sub),
            // A token from before epochs has no lineage to look up: the key of lineage 0, never written.
            RevocationKeys.userEpoch(claims.sub, epoch: claims.epoch ?? 0)
        )
        guard let values = reply.array, values.count == 4 else {
            throw RedisError(.unexpectedReply, "MGET")
        }
        if values[0] != .null || values[1] != .null {
            return true
        }
        if let cutoff = values[2].int, claims.issuedAtMilliseconds < Int64(cutoff) {
            return true
        }
        if let epoch = claims.epoch, let mirror = values[3].int, epoch < mirror {
            return true
        }
        return false
    }
}
