import Common
import Foundation

/// Refresh sessions in Redis, shared by every replica of the auth service.
///
/// `rt:<sha256>` is a hash {uid, sid, exp, state}; `exp` is the session's absolute end. A spent token
/// stays (state `spent`) until the session ends, so a replay is recognised rather than "unknown".
/// Keys outlive `exp` by an hour only to say "expired" instead of "not in database".
struct RedisRefreshTokenStore: RefreshTokenStore {
    static let keyPrefix = "rt:"
    static let expiredNoticeRetention = 3600

    let redis: RedisClient
    let clock: any WallClock

    init(redis: RedisClient, clock: any WallClock = SystemWallClock()) {
        self.redis = redis
        self.clock = clock
    }

    func open(userID: Int, lifetime: Int) async throws -> IssuedRefreshToken {
        let token = RefreshTokenFormat.newToken()
        let sessionID = RefreshTokenFormat.newSessionID()
        let now = Int(self.clock.now())
        let key = Self.keyPrefix + RefreshTokenFormat.digest(token)
        try await self.redis.pipeline([
            ["HSET", key, "uid", String(userID), "sid", sessionID, "exp", String(now + lifetime), "state", "live"],
            ["EXPIRE", key, String(lifetime + Self.expiredNoticeRetention)],
        ])
        return IssuedRefreshToken(token: token, sessionID: sessionID)
    }

    func rotate(_ token: String) async throws -> RefreshOutcome {
        guard RefreshTokenFormat.isWellFormed(token) else { return .unknown }
        let next = RefreshTokenFormat.newToken()
        let reply = try await self.redis.eval(
            Self.rotateScript,
            keys: [Self.keyPrefix + RefreshTokenFormat.digest(token), Self.keyPrefix + RefreshTokenFormat.digest(next)],
            arguments: [String(Int(self.clock.now())), String(Self.expiredNoticeRetention)]
        )
        guard let fields = reply.array, let status = fields.first?.string else {
            throw RedisError(.unexpectedReply, "rotate")
        }
        switch status {
        case "unknown": return .unknown
        case "expired": return .expired
        case "rotated", "spent":
            guard fields.count == 3, let userID = fields[1].int, let sessionID = fields[2].string else {
                throw RedisError(.unexpectedReply, "rotate")
            }
            return status == "rotated" ? .rotated(userID: userID, sessionID: sessionID, next: next) : .reused(userID: userID, sessionID: sessionID)
        default:
            throw RedisError(.unexpectedReply, "rotate: \(status)")
        }
    }

    /// Atomic: of two concurrent rotations of one token exactly one sees it live.
    static let rotateScript = """
        local old = KEYS[1]
        local now = tonumber(ARGV[1])
        local fields = redis.call('HMGET', old, 'uid', 'sid', 'exp', 'state')
        local uid, sid, exp, state = fields[1], fields[2], tonumber(fields[3]), fields[4]
        if not uid then return {'unknown'} end
        if exp <= now then return {'expired'} end
        if state ~= 'live' then return {'spent', uid, sid} end
        redis.call('HSET', old, 'state', 'spent')
        redis.call('HSET', KEYS[2], 'uid', uid, 'sid', sid, 'exp', fields[3], 'state', 'live')
        redis.call('EXPIREAT', KEYS[2], exp + tonumber(ARGV[2]))
        return {'rotated', uid, sid}
        """
}
