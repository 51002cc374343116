import Common
import Redis

/// Refresh sessions and revocations in Redis, shared by every replica of the auth service and read
/// by the gateway.
///
/// `rt:<sha256 of token>` is a hash {uid, sid, exp (session end), st (session start), idle (idle
/// expiry), state live|spent, rot (rotated at), succ (sealed successor), next (the successor's
/// key)}. A spent token is kept
/// until its session ends so that a replay is recognised; records outlive their expiry by
/// `expiredNotice` seconds only to answer "expired" rather than "not in database".
/// `session:<sid>` holds what the session list shows and where its live token is: {uid, created,
/// used (last refresh), exp, idle, live (the live token's key), ua, ip}; never a token.
struct RedisSessionStore: SessionStore {
    static let keyPrefix = "rt:"
    static let expiredNotice = 3600

    let redis: RedisClient
    let policy: SessionPolicy
    let clock: any WallClock

    init(redis: RedisClient, policy: SessionPolicy, clock: any WallClock = SystemWallClock()) {
        self.redis = redis
        self.policy = policy
        self.clock = clock
    }

    private var now: Int { Int(self.clock.now()) }
    var revocations: RevocationRecorder { RevocationRecorder(redis: self.redis, policy: self.policy, clock: self.clock) }

    func open(userID: Int, epoch: Int, client: ClientDetails) async throws -> IssuedRefreshToken? {
        let issued = IssuedRefreshToken(token: RefreshTokenFormat.newToken(), sessionID: RefreshTokenFormat.newSessionID())
        let uid = String(userID)
        let opened = try await self.redis.evalDurably(
            Self.openScript,
            keys: [
                Self.key(issued.token), RevocationKeys.userSessions(uid), Self.detailsKey(issued.sessionID),
                RevocationKeys.userEpoch(uid, epoch: epoch),
            ],
            arguments: [
                uid, issued.sessionID, String(self.now), String(self.policy.absoluteLifetime),
                String(self.policy.idleLifetime), String(Self.expiredNotice), client.userAgent ?? "", client.ip ?? "",
                String(epoch), String(self.policy.epochRetention),
            ]
        )
        return opened.int == 1 ? issued : nil
    }

    func owner(of token: String) async throws -> RefreshTokenOwner? {
        guard RefreshTokenFormat.isWellFormed(token) else { return nil }
        let reply = try await self.redis.send("HMGET", Self.key(token), "uid", "sid")
        guard let fields = reply.array, fields.count == 2, let userID = fields[0].int, let sessionID = fields[1].string else {
            return nil
        }
        return RefreshTokenOwner(userID: userID, sessionID: sessionID)
    }

    func rotate(_ token: String, successor: String, sealedSuccessor: String, epoch: Int) async throws -> RotationOutcome {
        try await self.rotate(token, successor: successor, sealedSuccessor: sealedSuccessor, epoch: epoch, rereads: 1)
    }

    private func rotate(
        _ token: String, successor: String, sealedSuccessor: String, epoch: Int, rereads: Int
    ) async throws -> RotationOutcome {
        guard RefreshTokenFormat.isWellFormed(token) else { return .unknown }
        // Read first so that the script is told every key it touches, the recorded successor's included.
        let reply = try await self.redis.send("HMGET", Self.key(token), "uid", "sid", "next")
        guard let fields = reply.array, fields.count == 3, let userID = fields[0].int, let sessionID = fields[1].string else {
            return .unknown
        }
        let uid = String(userID)
        let result = try await self.redis.evalDurably(
            Self.rotateScript,
            keys: [
                Self.key(token), Self.key(successor), RevocationKeys.session(sessionID),
                RevocationKeys.userCutoff(uid), RevocationKeys.userSessions(uid), fields[2].string ?? "",
                Self.detailsKey(sessionID), RevocationKeys.userEpoch(uid, epoch: epoch),
            ],
            arguments: [
                String(self.now), sealedSuccessor, String(self.policy.idleLifetime), String(self.policy.reuseGrace),
                String(self.policy.revocationRetention), String(Self.expiredNotice), String(epoch), String(self.policy.epochRetention),
            ]
        )
        guard let values = result.array, let status = values.first?.string else {
            throw RedisError(.unexpectedReply, "rotate")
        }
        switch (status, values.count) {
        case ("rotated", _): return .rotated
        case ("unknown", _): return .unknown
        case ("expired", _): return .expired
        case ("revoked", _): return .revoked
        case ("changed", _): return .accountChanged
        case ("grace", 2):
            guard let sealed = values[1].string else { throw RedisError(.unexpectedReply, "rotate") }
            return .replayedWithinGrace(sealedSuccessor: sealed)
        case ("successor", 2):
            guard let sealed = values[1].string else { throw RedisError(.unexpectedReply, "rotate") }
            return .replayedUnusedSuccessor(sealedSuccessor: sealed)
        case ("moved", _) where rereads > 0:
            // Rotated between the read and the script (a concurrent refresh): read again, once.
            return try await self.rotate(token, successor: successor, sealedSuccessor: sealedSuccessor, epoch: epoch, rereads: rereads - 1)
        case ("reused", _): return .reused(userID: userID, sessionID: sessionID)
        default: throw RedisError(.unexpectedReply, "rotate: \(status)")
        }
    }

    @discardableResult
    func revokeAccessToken(jti: String, expiresAt: Int) async throws -> StreamID? {
        try await self.revocations.revokeAccessToken(jti: jti, expiresAt: expiresAt)
    }

    @discardableResult
    func revokeSession(_ sessionID: String, userID: Int) async throws -> StreamID? {
        try await self.revocations.revokeSession(sessionID, userID: userID)
    }

    @discardableResult
    func revokeAllSessions(userID: Int, epoch: Int?) async throws -> StreamID? {
        try await self.revocations.revokeAllSessions(userID: userID, epoch: epoch)
    }

    func isRevoked(_ claims: AccessTokenClaims) async throws -> Bool {
        try await RevocationList(redis: self.redis).isRevoked(claims)
    }

    static func key(_ token: String) -> String {
        self.keyPrefix + RefreshTokenFormat.digest(token)
    }

    static let detailsPrefix = "session:"

    /// The session's details: what the session list shows, and its live token's key.
    static func detailsKey(_ sessionID: String) -> String {
        self.detailsPrefix + sessionID
    }

    /// KEYS: token, user sessions, session details, user epoch. ARGV: uid, sid, now, absolute lifetime,
    /// idle lifetime, expired notice, user agent, address, the epoch the account was read at, epoch
    /// retention. 0 (nothing written) when the epoch has moved past the one read; a newer one read
    /// raises the mirror (PostgreSQL committed it).
    static let openScript = """
        local epoch = tonumber(ARGV[9])
        local mirror = tonumber(redis.call('GET', KEYS[4]) or '-1')
        if epoch < mirror then return 0 end
        if epoch > mirror then redis.call('SET', KEYS[4], ARGV[9], 'EX', ARGV[10]) end
        local now = tonumber(ARGV[3])
        local exp = now + tonumber(ARGV[4])
        local idle = math.min(exp, now + tonumber(ARGV[5]))
        redis.call('HSET', KEYS[1], 'uid', ARGV[1], 'sid', ARGV[2], 'exp', exp, 'st', now, 'idle', idle, 'state', 'live')
        redis.call('EXPIREAT', KEYS[1], idle + tonumber(ARGV[6]))
        redis.call('SADD', KEYS[2], ARGV[2])
        redis.call('EXPIRE', KEYS[2], tonumber(ARGV[4]) + tonumber(ARGV[6]))
        redis.call('HSET', KEYS[3], 'uid', ARGV[1], 'created', now, 'used', now, 'exp', exp, 'idle', idle,
            'live', KEYS[1], 'ua', ARGV[7], 'ip', ARGV[8])
        redis.call('EXPIREAT', KEYS[3], exp + tonumber(ARGV[6]))
        return 1
        """

    /// Atomic: of concurrent rotations of one token exactly one sees it live; the others are grace
    /// replays (same pair). Later, a replay gets the same successor while that successor has never
    /// been used (the GoTrue rule: the client lost or never kept the answer); once it has been used,
    /// a replay is reuse, which revokes the session.
    /// Refused, changing nothing, when the account's credential epoch has moved past the one the refresh
    /// read (`changed`): the caller reads the account again.
    /// KEYS: old, new, session denial, user cut-off, user sessions, recorded successor (as read before),
    /// session details (which follow the live token and the last use, when the session has them), user
    /// epoch. ARGV: now, sealed successor, idle lifetime, grace, revocation retention, expired notice, the
    /// epoch the account was read at, epoch retention.
    static let rotateScript = """
        local f = redis.call('HMGET', KEYS[1], 'uid', 'sid', 'exp', 'st', 'idle', 'state', 'rot', 'succ', 'next')
        if not f[1] then return {'unknown'} end
        local now = tonumber(ARGV[1])
        if redis.call('EXISTS', KEYS[3]) == 1 then return {'revoked'} end
        local cutoff = tonumber(redis.call('GET', KEYS[4]) or '0')
        if tonumber(f[4]) < cutoff then return {'revoked'} end
        local epoch = tonumber(ARGV[7])
        local mirror = tonumber(redis.call('GET', KEYS[8]) or '-1')
        if epoch < mirror then return {'changed'} end
        if epoch > mirror then redis.call('SET', KEYS[8], ARGV[7], 'EX', ARGV[8]) end
        local exp = tonumber(f[3])
        if exp <= now then return {'expired'} end
        if f[6] == 'live' then
            if tonumber(f[5]) <= now then return {'expired'} end
            redis.call('HSET', KEYS[1], 'state', 'spent', 'rot', now, 'succ', ARGV[2], 'next', KEYS[2])
            redis.call('EXPIREAT', KEYS[1], exp + tonumber(ARGV[6]))
            local idle = math.min(exp, now + tonumber(ARGV[3]))
            redis.call('HSET', KEYS[2], 'uid', f[1], 'sid', f[2], 'exp', exp, 'st', f[4], 'idle', idle, 'state', 'live')
            redis.call('EXPIREAT', KEYS[2], idle + tonumber(ARGV[6]))
            if redis.call('EXISTS', KEYS[7]) == 1 then
                redis.call('HSET', KEYS[7], 'live', KEYS[2], 'used', now, 'idle', idle)
            end
            return {'rotated'}
        end
        local withinGrace = now - tonumber(f[7]) <= tonumber(ARGV[4])
        if not f[9] then
            -- Spent before successors were recorded: the grace window alone decides.
            if withinGrace then return {'grace', f[8]} end
        else
            if f[9] ~= KEYS[6] then return {'moved'} end
            -- Only the parent of the live token may be replayed: within the grace window it gets
            -- the same pair, later the same successor. Once the successor is spent, it is reuse.
            local s = redis.call('HMGET', KEYS[6], 'state', 'idle')
            if s[1] == 'live' then
                if tonumber(s[2]) <= now then return {'expired'} end
                if withinGrace then return {'grace', f[8]} end
                -- A replay is a use of the session: the unused successor's idle time starts again.
                local idle = math.min(exp, now + tonumber(ARGV[3]))
                redis.call('HSET', KEYS[6], 'idle', idle)
                redis.call('EXPIREAT', KEYS[6], idle + tonumber(ARGV[6]))
                if redis.call('EXISTS', KEYS[7]) == 1 then
                    redis.call('HSET', KEYS[7], 'used', now, 'idle', idle)
                end
                return {'successor', f[8]}
            end
        end
        redis.call('SET', KEYS[3], 'reused', 'EX', ARGV[5])
        redis.call('SREM', KEYS[5], f[2])
        return {'reused'}
        """
}
