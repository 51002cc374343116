import Common
import Redis

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

    /// Ends every session of the user and refuses every access token issued before now; with `epoch`
    /// (an account change PostgreSQL has committed), also every token issued under a lower credential
    /// epoch, and the epoch's mirror is raised to it so that nothing is issued under a lower one.
    func revokeAllSessions(userID: Int, epoch: Int?) async throws -> StreamID? {
        let uid = String(userID)
        let entry = RevocationEntry(
            kind: .user, subject: uid, cutoff: self.nowMilliseconds, epoch: epoch ?? 0, forget: self.forgetTokensIssuedNow
        )
        return try await self.run(
            Self.revokeAll,
            keys: [
                RevocationKeys.userSessions(uid), RevocationKeys.userCutoff(uid), RevocationKeys.tokenCutoff(uid),
                RevocationKeys.userEpoch(uid, epoch: epoch ?? 0),
            ],
            values: [
                String(Int(self.clock.now())), String(self.nowMilliseconds), String(self.policy.revocationRetention),
                String(self.policy.accessTokenRetention), RevocationKeys.session(""), epoch.map(String.init) ?? "",
                String(self.policy.epochRetention),
            ],
            entry: entry
        )
    }

    /// Ends the session only when it is one of the user's: `nil` (and nothing written) otherwise.
    func revokeOwnedSession(_ sessionID: String, userID: Int) async throws -> EndedSession? {
        let entry = RevocationEntry(kind: .session, subject: sessionID, forget: self.forgetTokensIssuedNow)
        let reply = try await self.eval(
            Self.revokeIfMember,
            keys: [RevocationKeys.session(sessionID), RevocationKeys.userSessions(String(userID))],
            values: ["ended", String(self.policy.revocationRetention), sessionID],
            entry: entry
        )
        if case .integer = reply { return nil }
        return EndedSession(position: reply.string.flatMap { StreamID($0) })
    }

    /// Every session of the user but one ends, with its access tokens. Without `epoch` (before a
    /// password change commits) that is all: no cut-off touches the session kept, so a change that
    /// then loses to a concurrent one does not refuse the winner's fresh token. With `epoch` (after the
    /// commit), every access token issued before now or under a lower epoch is refused too, the kept
    /// session's included, and the epoch's mirror is raised to it.
    func revokeOtherSessions(userID: Int, keeping sessionID: String, epoch: Int?) async throws -> StreamID? {
        let uid = String(userID)
        let entry = RevocationEntry(
            kind: .user, subject: uid, cutoff: self.nowMilliseconds, epoch: epoch ?? 0, forget: self.forgetTokensIssuedNow
        )
        return try await self.run(
            Self.revokeOthers,
            keys: [RevocationKeys.userSessions(uid), RevocationKeys.tokenCutoff(uid), RevocationKeys.userEpoch(uid, epoch: epoch ?? 0)],
            values: [
                sessionID, String(self.nowMilliseconds), String(self.policy.revocationRetention),
                String(self.policy.accessTokenRetention), RevocationKeys.session(""), epoch.map(String.init) ?? "",
                String(self.policy.epochRetention), String(self.forgetTokensIssuedNow),
            ],
            entry: entry
        )
    }

    /// Access tokens of the user issued before now (and with `epoch`, under a lower epoch, whose
    /// mirror is raised to it) are refused; sessions go on.
    func refuseAccessTokens(userID: Int, epoch: Int?) async throws -> StreamID? {
        let uid = String(userID)
        let entry = RevocationEntry(
            kind: .user, subject: uid, cutoff: self.nowMilliseconds, epoch: epoch ?? 0, forget: self.forgetTokensIssuedNow
        )
        return try await self.run(
            Self.moveTokenCutoff,
            keys: [RevocationKeys.tokenCutoff(uid), RevocationKeys.userEpoch(uid, epoch: epoch ?? 0)],
            values: [
                String(self.nowMilliseconds), String(self.policy.accessTokenRetention), epoch.map(String.init) ?? "",
                String(self.policy.epochRetention),
            ],
            entry: entry
        )
    }

    /// Runs `script` and returns the position of the entry it appended.
    private func run(_ script: String, keys: [String], values: [String], entry: RevocationEntry) async throws -> StreamID? {
        try await self.eval(script, keys: keys, values: values, entry: entry).string.flatMap { StreamID($0) }
    }

    /// Runs `script` with the stream as its last key, and the stream floor and the entry's fields
    /// after `values`; its reply as it is.
    private func eval(_ script: String, keys: [String], values: [String], entry: RevocationEntry) async throws -> RedisValue {
        try await self.redis.evalDurably(script, keys: keys + [RevocationStream.key], arguments: values + [self.streamFloor] + entry.fields)
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

    /// KEYS: user sessions, session cut-off, token cut-off, user epoch, stream.
    /// ARGV: now (s), now (ms), session retention, token retention, session-denial key prefix, the new
    /// epoch (empty for none), epoch retention, the stream floor, then the entry's fields. Cut-offs and
    /// the epoch only ever move forward.
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
        """ + Self.raisingEpoch(key: 4, epoch: 6, retention: 7) + Self.appendingEntry(afterValues: 7)

    /// KEYS: session denial, user sessions, stream. ARGV: denial value, TTL, session id, stream floor,
    /// then the entry's fields. Returns 0 when the session is not in the user's set.
    static let revokeIfMember = """
        if redis.call('SISMEMBER', KEYS[2], ARGV[3]) == 0 then return 0 end
        redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
        redis.call('SREM', KEYS[2], ARGV[3])
        """ + Self.appendingEntry(afterValues: 3)

    /// KEYS: user sessions, token cut-off, user epoch, stream. ARGV: the session kept, now (ms), session
    /// retention, token retention, session-denial key prefix, the new epoch (empty for none), epoch
    /// retention, when a session entry may be forgotten (ms), the stream floor, then the user entry's
    /// fields. Without an epoch, each ended session gets an entry of its own (kind `sid`, as
    /// ``RevocationEntry/fields`` writes it) and the reply is the last one's position (nil when none ended).
    static let revokeOthers = """
        local last = false
        for _, sid in ipairs(redis.call('SMEMBERS', KEYS[1])) do
            if sid ~= ARGV[1] then
                redis.call('SET', ARGV[5] .. sid, 'password-change', 'EX', ARGV[3])
                redis.call('SREM', KEYS[1], sid)
                if ARGV[6] == '' then
                    last = redis.call('XADD', KEYS[4], 'MINID', '~', ARGV[9], '*', 'k', 'sid', 's', sid, 'c', '0', 'f', ARGV[8])
                end
            end
        end
        if ARGV[6] == '' then return last end
        if tonumber(redis.call('GET', KEYS[2]) or '0') < tonumber(ARGV[2]) then
            redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[4])
        end
        """ + Self.raisingEpoch(key: 3, epoch: 6, retention: 7) + Self.appendingEntry(afterValues: 8)

    /// KEYS: token cut-off, user epoch, stream. ARGV: now (ms), token retention, the new epoch (empty for
    /// none), epoch retention, the stream floor, then the entry's fields. The cut-off and the epoch only
    /// ever move forward.
    static let moveTokenCutoff = """
        if tonumber(redis.call('GET', KEYS[1]) or '0') < tonumber(ARGV[1]) then
            redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
        end
        """ + Self.raisingEpoch(key: 2, epoch: 3, retention: 4) + Self.appendingEntry(afterValues: 4)

    /// Raises the user's epoch mirror (`KEYS[key]`) to `ARGV[epoch]` when that is given and not lower,
    /// kept for `ARGV[retention]` seconds from now: only ever to a value PostgreSQL has committed.
    private static func raisingEpoch(key: Int, epoch: Int, retention: Int) -> String {
        """

        if ARGV[\(epoch)] ~= '' and tonumber(redis.call('GET', KEYS[\(key)]) or '-1') <= tonumber(ARGV[\(epoch)]) then
            redis.call('SET', KEYS[\(key)], ARGV[\(epoch)], 'EX', ARGV[\(retention)])
        end
        """
    }

    /// The end of every script but ``setAndAppend``: the stream entry is appended, the stream being
    /// the last key, the floor the argument after the script's own `count` values, the entry's
    /// fields the rest.
    private static func appendingEntry(afterValues count: Int) -> String {
        """

        local fields = {}
        for i = \(count + 2), #ARGV do fields[#fields + 1] = ARGV[i] end
        return redis.call('XADD', KEYS[#KEYS], 'MINID', '~', ARGV[\(count + 1)], '*', unpack(fields))
        """
    }
}
