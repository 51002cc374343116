import Common
import Redis

/// Refresh sessions and revocations in Redis, shared by every replica of the auth service and read
/// by the gateway.
///
/// One hash per session, `session:<sid>`, decides every refresh (``SessionRefreshToken``): {uid,
/// created, used (last refresh), exp (session end), idle (idle expiry), ip, ua (in pieces of at most 64
/// bytes: ``RedisSessionScripts``), gen (current generation), fam (digest of the family), cur (digest
/// of the current secret), prev (digest of the previous one), rot (when it was rotated), nonce (from
/// which the current token was derived)}. Its size does not depend on how often the session was
/// refreshed: about 0.5 KB. `grace:<sid>` holds the pair of the last rotation, sealed, for the grace
/// window only. The record expires `expiredNotice` seconds after the session's idle expiry or end,
/// so that a late token is answered "expired" rather than "not in database".
///
/// Sessions opened before this layout have `rt:<sha256 of token>` records
/// (``RedisSessionStore/rotateLegacy(_:epoch:sealing:rereads:)``); each moves to the layout above at
/// its next rotation, nobody signed out.
struct RedisSessionStore: SessionStore {
    static let keyPrefix = "rt:"
    static let detailsPrefix = "session:"
    static let gracePrefix = "grace:"
    static let expiredNotice = 3600

    let redis: RedisClient
    let policy: SessionPolicy
    let clock: any WallClock

    init(redis: RedisClient, policy: SessionPolicy, clock: any WallClock = SystemWallClock()) {
        self.redis = redis
        self.policy = policy
        self.clock = clock
    }

    var now: Int { Int(self.clock.now()) }
    var revocations: RevocationRecorder { RevocationRecorder(redis: self.redis, policy: self.policy, clock: self.clock) }

    func open(userID: Int, epoch: Int, client: ClientDetails, methods: AuthenticationMethods) async throws -> IssuedRefreshToken? {
        let token = SessionRefreshToken.first(sessionID: RefreshTokenFormat.newSessionID())
        let uid = String(userID)
        let opened = try await self.redis.evalDurably(
            RedisSessionScripts.open,
            keys: [Self.detailsKey(token.sessionID), RevocationKeys.userSessions(uid), RevocationKeys.userEpoch(uid, epoch: epoch)],
            arguments: [
                uid, String(self.now), String(self.policy.absoluteLifetime), String(self.policy.idleLifetime), String(Self.expiredNotice),
                client.userAgent ?? "", client.ip ?? "", String(epoch), String(self.policy.epochRetention),
                SessionRefreshToken.digest(token.family), SessionRefreshToken.digest(token.secret), token.sessionID, methods.stored,
            ]
        )
        return opened.int == 1 ? IssuedRefreshToken(token: token.text, sessionID: token.sessionID) : nil
    }

    func owner(of token: String) async throws -> RefreshTokenOwner? {
        if let token = SessionRefreshToken(parsing: token) {
            let reply = try await self.redis.send("HMGET", Self.detailsKey(token.sessionID), "uid", "fam", "amr")
            guard let fields = reply.array, fields.count == 3, let userID = fields[0].int,
                fields[1].string == SessionRefreshToken.digest(token.family)
            else { return nil }
            return RefreshTokenOwner(userID: userID, sessionID: token.sessionID, methods: AuthenticationMethods(stored: fields[2].string))
        }
        guard RefreshTokenFormat.isLegacyToken(token) else { return nil }
        let reply = try await self.redis.send("HMGET", Self.key(token), "uid", "sid")
        guard let fields = reply.array, fields.count == 2, let userID = fields[0].int, let sessionID = fields[1].string else {
            return nil
        }
        return RefreshTokenOwner(userID: userID, sessionID: sessionID)
    }

    func markSecondFactor(ofSession sessionID: String, userID: Int) async throws -> Bool {
        guard RefreshTokenFormat.isPlausibleSessionID(sessionID) else { return false }
        return try await self.redis.eval(RedisSessionScripts.markSecondFactor, keys: [Self.detailsKey(sessionID)], arguments: [String(userID)]).int == 1
    }

    func rotate(_ token: String, epoch: Int, sealing seal: @Sendable (String) throws -> String) async throws -> RotationOutcome {
        if let parsed = SessionRefreshToken(parsing: token) {
            return try await self.rotate(parsed, epoch: epoch, sealing: seal)
        }
        guard RefreshTokenFormat.isLegacyToken(token) else { return .unknown }
        return try await self.rotateLegacy(token, epoch: epoch, sealing: seal, rereads: 1)
    }

    private func rotate(_ token: SessionRefreshToken, epoch: Int, sealing seal: @Sendable (String) throws -> String) async throws -> RotationOutcome {
        // Read first so that the script is told every key it touches (the user's are named by the uid).
        guard let userID = try await self.redis.send("HGET", Self.detailsKey(token.sessionID), "uid").int else { return .unknown }
        let uid = String(userID)
        let nonce = SessionRefreshToken.newNonce()
        let successor = token.successor(nonce: nonce)
        let result = try await self.redis.evalDurably(
            RedisSessionScripts.rotate,
            keys: [
                Self.detailsKey(token.sessionID), RevocationKeys.session(token.sessionID), RevocationKeys.userCutoff(uid),
                RevocationKeys.userSessions(uid), RevocationKeys.userEpoch(uid, epoch: epoch), Self.graceKey(token.sessionID),
            ],
            arguments: [
                String(self.now), uid, String(token.generation), SessionRefreshToken.digest(token.secret),
                SessionRefreshToken.digest(token.family), SessionRefreshToken.digest(successor.secret), nonce, try seal(successor.text),
                String(self.policy.idleLifetime), String(self.policy.reuseGrace), String(self.policy.revocationRetention),
                String(Self.expiredNotice), String(epoch), String(self.policy.epochRetention), token.sessionID,
            ]
        )
        guard let values = result.array, let status = values.first?.string else { throw RedisError(.unexpectedReply, "rotate") }
        switch (status, values.count) {
        case ("rotated", _): return .rotated(successor: successor.text)
        case ("successor", 2):
            guard let kept = values[1].string else { throw RedisError(.unexpectedReply, "rotate") }
            return .replayedUnusedSuccessor(successor: token.successor(nonce: kept).text)
        case ("reused", _): return .reused(userID: userID, sessionID: token.sessionID)
        default: return try Self.outcome(status, values)
        }
    }

    /// The outcomes both layouts answer alike.
    static func outcome(_ status: String, _ values: [RedisValue]) throws -> RotationOutcome {
        switch (status, values.count) {
        case ("unknown", _): return .unknown
        case ("expired", _): return .expired
        case ("revoked", _): return .revoked
        case ("changed", _): return .accountChanged
        case ("grace", 2):
            guard let sealed = values[1].string else { throw RedisError(.unexpectedReply, "rotate") }
            return .replayedWithinGrace(sealedSuccessor: sealed)
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

    /// The record of an earlier-format token.
    static func key(_ token: String) -> String {
        self.keyPrefix + RefreshTokenFormat.digest(token)
    }

    /// The session's record: what the session list shows, and what decides its refreshes.
    static func detailsKey(_ sessionID: String) -> String {
        self.detailsPrefix + sessionID
    }

    /// The sealed pair of the session's last rotation, while a replay may still get it.
    static func graceKey(_ sessionID: String) -> String {
        self.gracePrefix + sessionID
    }
}
