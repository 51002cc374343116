import Redis

/// Tokens of the earlier format (``RefreshTokenFormat``), from sessions opened before the session
/// record decided refreshes. Their `rt:<sha256>` records are answered by the rules they were issued
/// under, until the session's live token rotates: that rotation moves the session to its record
/// (generation 1, derived from the old token), and marks the old token's record `migrated`. From then
/// on a replay of the old token is the record's previous generation (grace pair, then the same
/// successor), and once generation 1 rotates it is reuse. Nobody is signed out by the move; what is
/// left of the earlier format expires with its sessions (at most `REFRESH_TOKEN_TTL`).
extension RedisSessionStore {
    func rotateLegacy(_ token: String, epoch: Int, sealing seal: @Sendable (String) throws -> String, rereads: Int) async throws -> RotationOutcome {
        // Read first so that the script is told every key it touches, the recorded successor's included.
        let reply = try await self.redis.send("HMGET", Self.key(token), "uid", "sid", "next")
        guard let fields = reply.array, fields.count == 3, let userID = fields[0].int, let sessionID = fields[1].string,
            RefreshTokenFormat.isPlausibleSessionID(sessionID)
        else { return .unknown }
        let uid = String(userID)
        let nonce = SessionRefreshToken.newNonce()
        let successor = SessionRefreshToken.migrating(legacy: token, sessionID: sessionID, nonce: nonce)
        let result = try await self.redis.evalDurably(
            Self.legacyRotateScript,
            keys: [
                Self.key(token), Self.detailsKey(sessionID), RevocationKeys.session(sessionID), RevocationKeys.userCutoff(uid),
                RevocationKeys.userSessions(uid), fields[2].string ?? "", RevocationKeys.userEpoch(uid, epoch: epoch), Self.graceKey(sessionID),
            ],
            arguments: [
                String(self.now), try seal(successor.text), String(self.policy.idleLifetime), String(self.policy.reuseGrace),
                String(self.policy.revocationRetention), String(Self.expiredNotice), String(epoch), String(self.policy.epochRetention),
                SessionRefreshToken.digest(successor.secret), nonce, SessionRefreshToken.digest(successor.family),
                SessionRefreshToken.digest(token),
            ]
        )
        guard let values = result.array, let status = values.first?.string else { throw RedisError(.unexpectedReply, "rotate") }
        switch (status, values.count) {
        case ("rotated", _): return .rotated(successor: successor.text)
        case ("successor", 2):
            guard let kept = values[1].string else { throw RedisError(.unexpectedReply, "rotate") }
            return .replayedUnusedSuccessor(successor: SessionRefreshToken.migrating(legacy: token, sessionID: sessionID, nonce: kept).text)
        case ("sealed-successor", 2):
            guard let sealed = values[1].string else { throw RedisError(.unexpectedReply, "rotate") }
            return .replayedUnusedSuccessor(successor: try SuccessorSeal.open(sealed, under: token).refreshToken)
        case ("moved", _) where rereads > 0:
            // Rotated between the read and the script (a concurrent refresh): read again, once.
            return try await self.rotateLegacy(token, epoch: epoch, sealing: seal, rereads: rereads - 1)
        case ("reused", _): return .reused(userID: userID, sessionID: sessionID)
        default: return try Self.outcome(status, values)
        }
    }

    /// The rules of the earlier format, but for its live token, which moves the session to its record.
    /// KEYS: old token, session record, session denial, user cut-off, user sessions, recorded successor
    /// (as read before), user epoch, grace pair. ARGV: now, sealed pair, idle lifetime, grace,
    /// revocation retention, expired notice, the epoch the account was read at, epoch retention, the
    /// successor's secret digest, its nonce, its family's digest, the old token's digest.
    static let legacyRotateScript = RedisSessionScripts.agentFunctions + """
        local f = redis.call('HMGET', KEYS[1], 'uid', 'sid', 'exp', 'st', 'idle', 'state', 'rot', 'succ', 'next', 'fam')
        if not f[1] then return {'unknown'} end
        local now = tonumber(ARGV[1])
        if redis.call('EXISTS', KEYS[3]) == 1 then return {'revoked'} end
        local cutoff = tonumber(redis.call('GET', KEYS[4]) or '0')
        if tonumber(f[4]) < cutoff then return {'revoked'} end
        local epoch = tonumber(ARGV[7])
        local mirror = tonumber(redis.call('GET', KEYS[7]) or '-1')
        if epoch < mirror then return {'changed'} end
        if epoch > mirror then redis.call('SET', KEYS[7], ARGV[7], 'EX', ARGV[8]) end
        local exp = tonumber(f[3])
        if exp <= now then return {'expired'} end
        if f[6] == 'live' then
            if tonumber(f[5]) <= now then return {'expired'} end
            local idle = math.min(exp, now + tonumber(ARGV[3]))
            rewriteLegacy(KEYS[2])
            redis.call('HSETNX', KEYS[2], 'created', f[4])
            redis.call('HSET', KEYS[2], 'uid', f[1], 'exp', exp, 'gen', 1, 'fam', ARGV[11], 'cur', ARGV[9], 'prev', ARGV[12],
                'rot', now, 'nonce', ARGV[10], 'used', now, 'idle', idle)
            redis.call('EXPIREAT', KEYS[2], idle + tonumber(ARGV[6]))
            redis.call('SET', KEYS[8], ARGV[2], 'EX', tonumber(ARGV[4]) + 1)
            -- Kept to the session's end: a replay of it is the record's previous generation, then reuse.
            redis.call('HSET', KEYS[1], 'state', 'migrated', 'fam', ARGV[11], 'rot', now)
            redis.call('EXPIREAT', KEYS[1], exp + tonumber(ARGV[6]))
            return {'rotated'}
        end
        if f[6] == 'migrated' then
            local s = redis.call('HMGET', KEYS[2], 'gen', 'fam', 'prev', 'rot', 'nonce', 'idle')
            -- Renewed since (a password change): a new family, and this token is not one of it.
            if s[2] ~= f[10] then return {'unknown'} end
            if s[1] == '1' and s[3] == ARGV[12] then
                if tonumber(s[6]) <= now then return {'expired'} end
                if now - tonumber(s[4]) <= tonumber(ARGV[4]) then
                    local sealed = redis.call('GET', KEYS[8])
                    if sealed then return {'grace', sealed} end
                end
                local idle = math.min(exp, now + tonumber(ARGV[3]))
                redis.call('HSET', KEYS[2], 'used', now, 'idle', idle)
                redis.call('EXPIREAT', KEYS[2], idle + tonumber(ARGV[6]))
                return {'successor', s[5]}
            end
        else
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
                    local idle = math.min(exp, now + tonumber(ARGV[3]))
                    redis.call('HSET', KEYS[6], 'idle', idle)
                    redis.call('EXPIREAT', KEYS[6], idle + tonumber(ARGV[6]))
                    if redis.call('EXISTS', KEYS[2]) == 1 then
                        redis.call('HSET', KEYS[2], 'used', now, 'idle', idle)
                    end
                    return {'sealed-successor', f[8]}
                end
            end
        end
        redis.call('SET', KEYS[3], 'reused', 'EX', ARGV[5])
        redis.call('SREM', KEYS[5], f[2])
        return {'reused'}
        """
}
