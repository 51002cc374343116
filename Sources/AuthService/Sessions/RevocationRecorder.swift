import Common

/// Writes revocations, each in one script: the Redis keys the auth service checks itself (refresh
/// rotation, privileged signup) and an entry of the revocation stream that every gateway tails.
/// Returns the entry's stream position so the gateway carrying the request can wait for it.
struct RevocationRecorder: Sendable {
    let redis: RedisClient
    let policy: SessionPolicy
    let clock: any WallClock

    private var nowMilliseconds: Int64 { Int64(self.clock.now() * 1000) }
    /// Access tokens issued before now are all expired by then.
    private var forgetTokensIssuedNow: Int64 { self.nowMilliseconds + Int64(self.policy.accessTokenRetention) * 1000 }
    /// Entries older than this cannot match a valid access token any more: trimmed.
    private var streamFloor: String { String(self.nowMilliseconds - Int64(self.policy.accessTokenRetention) * 1000) }

    func revokeAccessToken(jti: String, expiresAt: Int) async throws -> StreamID? {
        // The key is kept a minute past `exp`, beyond any verifier's clock leeway.
        let ttl = max(expiresAt - Int(self.clock.now()) + 60, 1)
        let entry = RevocationEntry(kind: .token, subject: jti, forget: Int64(expiresAt + 60) * 1000 + 30_000)
        return try await self.run(Self.setAndAppend, keys: [RevocationKeys.token(jti)], values: ["signout", String(ttl)], entry: entry)
    }

    func revokeSession(_ sessionID: String, userID: Int) async throws -> StreamID? {
        let entry = RevocationEntry(kind: .session, subject: sessionID, forget: self.forgetTokensIssuedNow)
        return try await self.run(
            Self.setAndAppend,
            keys: [RevocationKeys.session(sessionID), RevocationKeys.userSessions(String(userID))],
            values: ["signout", String(self.policy.revocationRetention), sessionID],
            entry: entry
        )
    }

    func revokeAllSessions(userID: Int) async throws -> StreamID? {
        let uid = String(userID)
        let entry = RevocationEntry(kind: .user, subject: uid, cutoff: self.nowMilliseconds, forget: self.forgetTokensIssuedNow)
        return try await self.run(
            Self.revokeAll,
            keys: [RevocationKeys.userSessions(uid), RevocationKeys.userCutoff(uid), RevocationKeys.tokenCutoff(uid)],
            values: [
                String(Int(self.clock.now())), String(self.nowMilliseconds), String(self.policy.revocationRetention),
                String(self.policy.accessTokenRetention), RevocationKeys.session(""),
            ],
            entry: entry
        )
    }

    /// Runs `script` with the stream as its last key and the entry's fields after `values`.
    private func run(_ script: String, keys: [String], values: [String], entry: RevocationEntry) async throws -> StreamID? {
        let reply = try await self.redis.eval(
            script,
            keys: keys + [RevocationStream.key],
            arguments: values + [self.streamFloor] + entry.fields
        )
        return reply.string.flatMap { StreamID($0) }
    }

    /// KEYS: a denial key, optionally the user's session set, then the stream. ARGV: the denial's
    /// value and TTL, the session id to drop from the set (when the set is given), the stream floor,
    /// then the entry's fields.
    static let setAndAppend = """
        local n = #KEYS
        redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
        local next = 3
        if n == 3 then
            redis.call('SREM', KEYS[2], ARGV[3])
            next = 4
        end
        local fields = {}
        for i = next + 1, #ARGV do fields[#fields + 1] = ARGV[i] end
        return redis.call('XADD', KEYS[n], 'MINID', '~', ARGV[next], '*', unpack(fields))
        """

    /// KEYS: user sessions, session cut-off, token cut-off, stream.
    /// ARGV: now (s), now (ms), session retention, token retention, session-denial key prefix, the
    /// stream floor, then the entry's fields. Cut-offs only ever move forward.
    static let revokeAll = """
        local sids = redis.call('SMEMBERS', KEYS[1])
        for _, sid in ipairs(sids) do
            redis.call('SET', ARGV[5] .. sid, 'global-signout', 'EX', ARGV[3])
        end
        redis.call('DEL', KEYS[1])
        if tonumber(redis.call('GET', KEYS[2]) or '0') < tonumber(ARGV[1]) then
            redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[3])
        end
        if tonumber(redis.call('GET', KEYS[3]) or '0') < tonumber(ARGV[2]) then
            redis.call('SET', KEYS[3], ARGV[2], 'EX', ARGV[4])
        end
        local fields = {}
        for i = 7, #ARGV do fields[#fields + 1] = ARGV[i] end
        return redis.call('XADD', KEYS[4], 'MINID', '~', ARGV[6], '*', unpack(fields))
        """
}
