import Common
import Redis

/// Answers "has this access token been revoked?" in one Redis round trip, for the auth service's own
/// checks (a privileged signup). Gateways keep the same record in memory from ``RevocationStream``.
///
/// The rule itself is ``AccessTokenClaims/isRevoked(by:)``, the gateways' too.
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
        return claims.isRevoked(by: RevocationFacts(
            tokenDenylisted: values[0] != .null,
            sessionDenylisted: values[1] != .null,
            userCutoffMilliseconds: values[2].int.map(Int64.init),
            epochFloor: values[3].int
        ))
    }
}
