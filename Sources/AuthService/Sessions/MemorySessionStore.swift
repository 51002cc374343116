import Common

/// In-memory sessions with the Redis store's semantics, for handler tests.
actor MemorySessionStore: SessionStore {
    private struct Record {
        var userID: Int
        var sessionID: String
        var expiresAt: Int
        var startedAt: Int
        var idleExpiresAt: Int
        var spentAt: Int?
        var sealedSuccessor: String?
        /// Digest of the token this one was rotated into.
        var successorDigest: String?
    }

    /// What `session:<sid>` holds in Redis.
    private struct Details {
        var userID: Int
        var createdAt: Int
        var lastUsedAt: Int
        var expiresAt: Int
        var idleExpiresAt: Int
        var liveDigest: String
        var client: ClientDetails
    }

    private let policy: SessionPolicy
    private let clock: any WallClock
    private var records: [String: Record] = [:]
    private var details: [String: Details] = [:]
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
        let issued = IssuedRefreshToken(token: RefreshTokenFormat.newToken(), sessionID: RefreshTokenFormat.newSessionID())
        let expiresAt = self.now + self.policy.absoluteLifetime
        let idle = min(expiresAt, self.now + self.policy.idleLifetime)
        let digest = RefreshTokenFormat.digest(issued.token)
        self.records[digest] = Record(userID: userID, sessionID: issued.sessionID, expiresAt: expiresAt, startedAt: self.now, idleExpiresAt: idle)
        self.userSessions[userID, default: []].insert(issued.sessionID)
        self.details[issued.sessionID] = Details(
            userID: userID, createdAt: self.now, lastUsedAt: self.now, expiresAt: expiresAt, idleExpiresAt: idle,
            liveDigest: digest, client: client
        )
        return issued
    }

    func owner(of token: String) async throws -> RefreshTokenOwner? {
        self.records[RefreshTokenFormat.digest(token)].map { RefreshTokenOwner(userID: $0.userID, sessionID: $0.sessionID) }
    }

    func rotate(_ token: String, successor: String, sealedSuccessor: String, epoch: Int) async throws -> RotationOutcome {
        let key = RefreshTokenFormat.digest(token)
        guard var record = self.records[key] else { return .unknown }
        if self.revokedSessions.contains(record.sessionID) || record.startedAt < self.cutoffs[record.userID, default: 0] {
            return .revoked
        }
        guard self.admits(epoch, ofUser: record.userID) else { return .accountChanged }
        guard record.expiresAt > self.now else { return .expired }
        guard let spentAt = record.spentAt else {
            guard record.idleExpiresAt > self.now else { return .expired }
            record.spentAt = self.now
            record.sealedSuccessor = sealedSuccessor
            record.successorDigest = RefreshTokenFormat.digest(successor)
            self.records[key] = record
            var next = record
            next.spentAt = nil
            next.sealedSuccessor = nil
            next.successorDigest = nil
            next.idleExpiresAt = min(record.expiresAt, self.now + self.policy.idleLifetime)
            self.records[RefreshTokenFormat.digest(successor)] = next
            self.details[record.sessionID]?.liveDigest = RefreshTokenFormat.digest(successor)
            self.details[record.sessionID]?.lastUsedAt = self.now
            self.details[record.sessionID]?.idleExpiresAt = next.idleExpiresAt
            return .rotated
        }
        // Only the parent of the live token may be replayed (within the grace window: the same pair;
        // later: the same successor). Once the successor is spent, any replay is reuse.
        if let digest = record.successorDigest, var next = self.records[digest], next.spentAt == nil, let sealed = record.sealedSuccessor {
            guard next.idleExpiresAt > self.now else { return .expired }
            if self.now - spentAt <= self.policy.reuseGrace {
                return .replayedWithinGrace(sealedSuccessor: sealed)
            }
            next.idleExpiresAt = min(next.expiresAt, self.now + self.policy.idleLifetime)
            self.records[digest] = next
            self.details[record.sessionID]?.lastUsedAt = self.now
            self.details[record.sessionID]?.idleExpiresAt = next.idleExpiresAt
            return .replayedUnusedSuccessor(sealedSuccessor: sealed)
        }
        self.revokedSessions.insert(record.sessionID)
        self.userSessions[record.userID]?.remove(record.sessionID)
        return .reused(userID: record.userID, sessionID: record.sessionID)
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
            guard !self.revokedSessions.contains(id), let details = self.details[id], details.userID == userID,
                details.expiresAt > now, details.idleExpiresAt > now
            else { return nil }
            return SessionSummary(id: id, createdAt: details.createdAt, lastUsedAt: details.lastUsedAt, client: details.client)
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
        guard !self.revokedSessions.contains(sessionID), var details = self.details[sessionID], details.userID == userID,
            details.expiresAt > self.now, self.admits(epoch, ofUser: userID)
        else { return nil }
        let issued = IssuedRefreshToken(token: RefreshTokenFormat.newToken(), sessionID: sessionID)
        let digest = RefreshTokenFormat.digest(issued.token)
        let startedAt = self.records[details.liveDigest]?.startedAt ?? details.createdAt
        self.records[details.liveDigest] = nil
        details.idleExpiresAt = min(details.expiresAt, self.now + self.policy.idleLifetime)
        details.liveDigest = digest
        details.lastUsedAt = self.now
        self.details[sessionID] = details
        self.records[digest] = Record(
            userID: userID, sessionID: sessionID, expiresAt: details.expiresAt, startedAt: startedAt, idleExpiresAt: details.idleExpiresAt
        )
        return issued
    }

    /// Whether something read at `epoch` may still be issued; a newer epoch read raises the mirror, as
    /// the scripts do.
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
