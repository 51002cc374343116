import Common

/// In-memory sessions with the Redis store's semantics, for handler tests: one record per session,
/// as `session:<sid>` is in Redis (``RedisSessionStore``).
actor MemorySessionStore: SessionStore {
    /// What `session:<sid>` (and `grace:<sid>`) hold in Redis.
    private struct Record {
        var userID: Int
        var createdAt: Int
        var lastUsedAt: Int
        var expiresAt: Int
        var idleExpiresAt: Int
        var client: ClientDetails
        var generation: Int
        var familyDigest: String
        var currentDigest: String
        var previousDigest: String?
        var rotatedAt: Int?
        var nonce: String?
        var gracePair: String?
    }

    private let policy: SessionPolicy
    private let clock: any WallClock
    private var records: [String: Record] = [:]
    private var revokedSessions: Set<String> = []
    private var userSessions: [Int: Set<String>] = [:]
    private var cutoffs: [Int: Int] = [:]
    private var tokenCutoffs: [Int: Int64] = [:]
    /// What `epoch:user:<id>:<lineage>` holds in Redis, by ``CredentialEpoch/scope(userID:epoch:)``.
    private var epochs: [String: Int] = [:]
    private(set) var revokedAccessTokens: Set<String> = []

    init(policy: SessionPolicy, clock: any WallClock = SystemWallClock()) {
        self.policy = policy
        self.clock = clock
    }

    private var now: Int { Int(self.clock.now()) }

    func open(userID: Int, epoch: Int, client: ClientDetails) async throws -> IssuedRefreshToken? {
        guard self.admits(epoch, ofUser: userID) else { return nil }
        let token = SessionRefreshToken.first(sessionID: RefreshTokenFormat.newSessionID())
        let expiresAt = self.now + self.policy.absoluteLifetime
        self.records[token.sessionID] = Record(
            userID: userID, createdAt: self.now, lastUsedAt: self.now, expiresAt: expiresAt,
            idleExpiresAt: min(expiresAt, self.now + self.policy.idleLifetime), client: client, generation: 1,
            familyDigest: SessionRefreshToken.digest(token.family), currentDigest: SessionRefreshToken.digest(token.secret)
        )
        self.userSessions[userID, default: []].insert(token.sessionID)
        return IssuedRefreshToken(token: token.text, sessionID: token.sessionID)
    }

    func owner(of token: String) async throws -> RefreshTokenOwner? {
        guard let token = SessionRefreshToken(parsing: token), let record = self.records[token.sessionID],
            record.familyDigest == SessionRefreshToken.digest(token.family)
        else { return nil }
        return RefreshTokenOwner(userID: record.userID, sessionID: token.sessionID)
    }

    func rotate(_ token: String, epoch: Int, sealing seal: @Sendable (String) throws -> String) async throws -> RotationOutcome {
        guard let token = SessionRefreshToken(parsing: token), var record = self.records[token.sessionID],
            record.familyDigest == SessionRefreshToken.digest(token.family)
        else { return .unknown }
        if self.revokedSessions.contains(token.sessionID) || record.createdAt < self.cutoffs[record.userID, default: 0] {
            return .revoked
        }
        guard self.admits(epoch, ofUser: record.userID) else { return .accountChanged }
        guard record.expiresAt > self.now else { return .expired }
        let digest = SessionRefreshToken.digest(token.secret)
        let idle = min(record.expiresAt, self.now + self.policy.idleLifetime)
        switch token.generation {
        case record.generation:
            guard digest == record.currentDigest else { return .unknown }
            guard record.idleExpiresAt > self.now else { return .expired }
            let nonce = SessionRefreshToken.newNonce()
            let successor = token.successor(nonce: nonce)
            record.gracePair = try seal(successor.text)
            record.generation += 1
            record.previousDigest = digest
            record.currentDigest = SessionRefreshToken.digest(successor.secret)
            record.rotatedAt = self.now
            record.nonce = nonce
            record.lastUsedAt = self.now
            record.idleExpiresAt = idle
            self.records[token.sessionID] = record
            return .rotated(successor: successor.text)
        case record.generation - 1:
            // Only the parent of the live token may be replayed: within the grace window it gets the
            // same pair, later the same successor.
            guard digest == record.previousDigest, let rotatedAt = record.rotatedAt, let nonce = record.nonce else { return .unknown }
            guard record.idleExpiresAt > self.now else { return .expired }
            if self.now - rotatedAt <= self.policy.reuseGrace, let sealed = record.gracePair {
                return .replayedWithinGrace(sealedSuccessor: sealed)
            }
            record.lastUsedAt = self.now
            record.idleExpiresAt = idle
            self.records[token.sessionID] = record
            return .replayedUnusedSuccessor(successor: token.successor(nonce: nonce).text)
        case ..<record.generation:
            self.revokedSessions.insert(token.sessionID)
            self.userSessions[record.userID]?.remove(token.sessionID)
            return .reused(userID: record.userID, sessionID: token.sessionID)
        default:
            return .unknown
        }
    }

    @discardableResult
    func revokeAccessToken(jti: String, expiresAt: Int) async throws -> StreamID? {
        self.revokedAccessTokens.insert(jti)
        return nil
    }

    @discardableResult
    func revokeSession(_ sessionID: String, userID: Int) async throws -> StreamID? {
        self.revokedSessions.insert(sessionID)
        self.userSessions[userID]?.remove(sessionID)
        return nil
    }

    @discardableResult
    func revokeAllSessions(userID: Int, epoch: Int?) async throws -> StreamID? {
        self.revokedSessions.formUnion(self.userSessions[userID] ?? [])
        self.userSessions[userID] = nil
        self.cutoffs[userID] = self.now
        self.tokenCutoffs[userID] = Int64(self.clock.now() * 1000)
        self.raise(epoch, ofUser: userID)
        return nil
    }

    func isRevoked(_ claims: AccessTokenClaims) async throws -> Bool {
        self.revokedAccessTokens.contains(claims.jti) || self.revokedSessions.contains(claims.sid)
            || claims.issuedAtMilliseconds < self.tokenCutoffs[claims.id, default: 0]
            || claims.epoch.map { $0 < self.epochs[CredentialEpoch.scope(userID: claims.sub, epoch: $0), default: 0] } == true
    }

    func isSessionRevoked(_ sessionID: String) -> Bool {
        self.revokedSessions.contains(sessionID)
    }

    func liveSessions(ofUser userID: Int) async throws -> [SessionSummary] {
        let now = self.now
        return (self.userSessions[userID] ?? []).compactMap { id -> SessionSummary? in
            guard !self.revokedSessions.contains(id), let record = self.records[id], record.userID == userID,
                record.expiresAt > now, record.idleExpiresAt > now
            else { return nil }
            return SessionSummary(id: id, createdAt: record.createdAt, lastUsedAt: record.lastUsedAt, client: record.client)
        }.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    func endSession(_ sessionID: String, ofUser userID: Int) async throws -> EndedSession? {
        guard self.userSessions[userID]?.contains(sessionID) == true else { return nil }
        try await self.revokeSession(sessionID, userID: userID)
        return EndedSession(position: nil)
    }

    @discardableResult
    func endOtherSessions(ofUser userID: Int, keeping sessionID: String, epoch: Int?) async throws -> StreamID? {
        let others = (self.userSessions[userID] ?? []).subtracting([sessionID])
        self.revokedSessions.formUnion(others)
        self.userSessions[userID]?.subtract(others)
        if epoch != nil {
            try await self.refuseAccessTokens(ofUser: userID, epoch: epoch)
        }
        return nil
    }

    @discardableResult
    func refuseAccessTokens(ofUser userID: Int, epoch: Int?) async throws -> StreamID? {
        self.tokenCutoffs[userID] = max(self.tokenCutoffs[userID, default: 0], Int64(self.clock.now() * 1000))
        self.raise(epoch, ofUser: userID)
        return nil
    }

    func renewRefreshToken(ofSession sessionID: String, userID: Int, epoch: Int) async throws -> IssuedRefreshToken? {
        guard !self.revokedSessions.contains(sessionID), var record = self.records[sessionID], record.userID == userID,
            record.expiresAt > self.now, self.admits(epoch, ofUser: userID)
        else { return nil }
        let token = SessionRefreshToken.first(sessionID: sessionID, generation: record.generation + 1)
        record.generation = token.generation
        record.familyDigest = SessionRefreshToken.digest(token.family)
        record.currentDigest = SessionRefreshToken.digest(token.secret)
        record.previousDigest = nil
        record.rotatedAt = nil
        record.nonce = nil
        record.gracePair = nil
        record.lastUsedAt = self.now
        record.idleExpiresAt = min(record.expiresAt, self.now + self.policy.idleLifetime)
        self.records[sessionID] = record
        return IssuedRefreshToken(token: token.text, sessionID: sessionID)
    }

    /// Whether something read at `epoch` may still be issued; a newer epoch read raises the mirror, as
    /// the scripts do.
    func endOfSession(_ sessionID: String) async throws -> Int? {
        self.records[sessionID]?.expiresAt
    }

    private func admits(_ epoch: Int, ofUser userID: Int) -> Bool {
        let scope = CredentialEpoch.scope(userID: String(userID), epoch: epoch)
        guard epoch >= self.epochs[scope, default: -1] else { return false }
        self.epochs[scope] = epoch
        return true
    }

    private func raise(_ epoch: Int?, ofUser userID: Int) {
        guard let epoch else { return }
        let scope = CredentialEpoch.scope(userID: String(userID), epoch: epoch)
        self.epochs[scope] = max(self.epochs[scope, default: -1], epoch)
    }
}
