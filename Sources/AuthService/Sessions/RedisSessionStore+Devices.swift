import Common
import Redis

/// The session list and what accounts do to sessions (issue 10), on the `session:<sid>` details.
extension RedisSessionStore {
    func liveSessions(ofUser userID: Int) async throws -> [SessionSummary] {
        let reply = try await self.redis.eval(
            Self.listScript,
            keys: [RevocationKeys.userSessions(String(userID))],
            arguments: [String(self.clock.now().rounded(.down)), Self.detailsPrefix, RevocationKeys.session(""), String(userID)]
        )
        guard let values = reply.array, values.count % 5 == 0 else { throw RedisError(.unexpectedReply, "list sessions") }
        var sessions: [SessionSummary] = []
        for start in stride(from: 0, to: values.count, by: 5) {
            guard let id = values[start].string, let created = values[start + 1].int, let used = values[start + 2].int else {
                throw RedisError(.unexpectedReply, "list sessions")
            }
            let client = ClientDetails(ip: values[start + 4].string, userAgent: values[start + 3].string)
            sessions.append(SessionSummary(id: id, createdAt: created, lastUsedAt: used, client: client))
        }
        return sessions.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    func endSession(_ sessionID: String, ofUser userID: Int) async throws -> EndedSession? {
        try await self.revocations.revokeOwnedSession(sessionID, userID: userID)
    }

    @discardableResult
    func endOtherSessions(ofUser userID: Int, keeping sessionID: String, epoch: Int?) async throws -> StreamID? {
        try await self.revocations.revokeOtherSessions(userID: userID, keeping: sessionID, epoch: epoch)
    }

    @discardableResult
    func refuseAccessTokens(ofUser userID: Int, epoch: Int?) async throws -> StreamID? {
        try await self.revocations.refuseAccessTokens(userID: userID, epoch: epoch)
    }

    func renewRefreshToken(ofSession sessionID: String, userID: Int, epoch: Int) async throws -> IssuedRefreshToken? {
        let issued = IssuedRefreshToken(token: RefreshTokenFormat.newToken(), sessionID: sessionID)
        let reply = try await self.redis.evalDurably(
            Self.renewScript,
            keys: [
                Self.detailsKey(sessionID), RevocationKeys.session(sessionID), Self.key(issued.token),
                RevocationKeys.userEpoch(String(userID), epoch: epoch),
            ],
            arguments: [
                String(Int(self.clock.now())), String(self.policy.idleLifetime), String(userID), sessionID, String(Self.expiredNotice),
                String(epoch), String(self.policy.epochRetention),
            ]
        )
        return reply.int == 1 ? issued : nil
    }

    /// KEYS: user sessions. ARGV: now, details prefix, session-denial prefix, uid. Returns id, created,
    /// used, user agent, address of each live session with details: not denied, not past its end or
    /// its idle expiry.
    static let listScript = """
        local now = tonumber(ARGV[1])
        local out = {}
        for _, sid in ipairs(redis.call('SMEMBERS', KEYS[1])) do
            if redis.call('EXISTS', ARGV[3] .. sid) == 0 then
                local d = redis.call('HMGET', ARGV[2] .. sid, 'uid', 'created', 'used', 'exp', 'idle', 'ua', 'ip')
                if d[1] == ARGV[4] and tonumber(d[4]) > now and tonumber(d[5]) > now then
                    out[#out + 1] = sid
                    out[#out + 1] = d[2]
                    out[#out + 1] = d[3]
                    out[#out + 1] = d[6] or ''
                    out[#out + 1] = d[7] or ''
                end
            end
        end
        return out
        """

    /// KEYS: session details, session denial, the new token, user epoch. ARGV: now, idle lifetime, uid,
    /// sid, expired notice, the epoch of the account the session goes on under, epoch retention. The
    /// live token is deleted and the new one takes its place (same session start and end); 0 when the
    /// session is ended, expired, someone else's or has no details, or the epoch has moved past it.
    static let renewScript = """
        if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
        local epoch = tonumber(ARGV[6])
        local mirror = tonumber(redis.call('GET', KEYS[4]) or '-1')
        if epoch < mirror then return 0 end
        local d = redis.call('HMGET', KEYS[1], 'uid', 'exp', 'live', 'created')
        if d[1] ~= ARGV[3] then return 0 end
        local now = tonumber(ARGV[1])
        local exp = tonumber(d[2])
        if exp <= now then return 0 end
        if d[3] then redis.call('DEL', d[3]) end
        local idle = math.min(exp, now + tonumber(ARGV[2]))
        redis.call('HSET', KEYS[3], 'uid', d[1], 'sid', ARGV[4], 'exp', exp, 'st', d[4], 'idle', idle, 'state', 'live')
        redis.call('EXPIREAT', KEYS[3], idle + tonumber(ARGV[5]))
        redis.call('HSET', KEYS[1], 'live', KEYS[3], 'used', now, 'idle', idle)
        if epoch > mirror then redis.call('SET', KEYS[4], ARGV[6], 'EX', ARGV[7]) end
        return 1
        """
}
