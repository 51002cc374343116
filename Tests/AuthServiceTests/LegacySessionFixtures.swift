@testable import AuthService
import Common
import Crypto
import Foundation
import Redis

/// Sessions as the versions before the session record wrote them: a 43-character token, a record
/// `rt:<hex sha256>` per token, and `session:<sid>` details naming the live token's record. Written
/// here command by command, as the earlier open and rotate scripts did, for the tests of their move.
enum LegacySessions {
    /// A token of the earlier format: 256 random bits, base64url.
    static func newToken() -> String {
        Base64URL.encode(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
    }

    /// Opens a session as the earlier open script did, at `now`.
    static func open(_ redis: RedisClient, userID: Int, now: Int, policy: SessionPolicy, client: ClientDetails) async throws -> IssuedRefreshToken {
        let issued = IssuedRefreshToken(token: self.newToken(), sessionID: RefreshTokenFormat.newSessionID())
        let key = RedisSessionStore.key(issued.token)
        let (exp, idle, notice) = (now + policy.absoluteLifetime, min(now + policy.absoluteLifetime, now + policy.idleLifetime), RedisSessionStore.expiredNotice)
        let uid = String(userID)
        _ = try await redis.pipeline([
            ["HSET", key, "uid", uid, "sid", issued.sessionID, "exp", String(exp), "st", String(now), "idle", String(idle), "state", "live"],
            ["EXPIREAT", key, String(idle + notice)],
            ["SADD", RevocationKeys.userSessions(uid), issued.sessionID],
            ["EXPIRE", RevocationKeys.userSessions(uid), String(policy.absoluteLifetime + notice)],
            [
                "HSET", RedisSessionStore.detailsKey(issued.sessionID), "uid", uid, "created", String(now), "used", String(now), "exp", String(exp),
                "idle", String(idle), "live", key, "ua", client.userAgent ?? "", "ip", client.ip ?? "",
            ],
            ["EXPIREAT", RedisSessionStore.detailsKey(issued.sessionID), String(exp + notice)],
        ])
        return issued
    }

    /// Rotates the live `token` into `successor` as the earlier rotate script did, keeping `sealed`
    /// (the pair, sealed under `token`) for replays.
    static func rotate(_ redis: RedisClient, _ token: String, into successor: String, sealed: String, now: Int, policy: SessionPolicy) async throws {
        let (old, new) = (RedisSessionStore.key(token), RedisSessionStore.key(successor))
        let fields = try await redis.send("HMGET", old, "uid", "sid", "exp", "st").array?.compactMap(\.string) ?? []
        guard fields.count == 4, let exp = Int(fields[2]) else { throw RedisError(.unexpectedReply, "no live legacy record") }
        let idle = min(exp, now + policy.idleLifetime)
        _ = try await redis.pipeline([
            ["HSET", old, "state", "spent", "rot", String(now), "succ", sealed, "next", new],
            ["EXPIREAT", old, String(exp + RedisSessionStore.expiredNotice)],
            ["HSET", new, "uid", fields[0], "sid", fields[1], "exp", fields[2], "st", fields[3], "idle", String(idle), "state", "live"],
            ["EXPIREAT", new, String(idle + RedisSessionStore.expiredNotice)],
            ["HSET", RedisSessionStore.detailsKey(fields[1]), "live", new, "used", String(now), "idle", String(idle)],
        ])
    }
}
