import Common
import Redis

/// The session list and what accounts do to sessions (issue 10), on the `session:<sid>` records.
extension RedisSessionStore {
    func liveSessions(ofUser userID: Int) async throws -> [SessionSummary] {
        let reply = try await self.redis.eval(
            RedisSessionScripts.list,
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
        // The generation is the record's; the family and secret are new.
        let drawn = SessionRefreshToken.first(sessionID: sessionID)
        let reply = try await self.redis.evalDurably(
            RedisSessionScripts.renew,
            keys: [
                Self.detailsKey(sessionID), RevocationKeys.session(sessionID), RevocationKeys.userEpoch(String(userID), epoch: epoch),
                Self.graceKey(sessionID),
            ],
            arguments: [
                String(self.now), String(self.policy.idleLifetime), String(userID), String(Self.expiredNotice), String(epoch),
                String(self.policy.epochRetention), SessionRefreshToken.digest(drawn.family), SessionRefreshToken.digest(drawn.secret),
            ]
        )
        guard let generation = reply.int, generation > 0 else { return nil }
        let token = SessionRefreshToken(sessionID: sessionID, generation: generation, family: drawn.family, secret: drawn.secret)
        return IssuedRefreshToken(token: token.text, sessionID: sessionID)
    }

    func endOfSession(_ sessionID: String) async throws -> Int? {
        try await self.redis.send("HGET", Self.detailsKey(sessionID), "exp").int
    }
}
