import Common

/// In-memory refresh sessions with the same semantics as the Redis store, for handler tests.
actor MemoryRefreshTokenStore: RefreshTokenStore {
    private struct Entry {
        var userID: Int
        var sessionID: String
        var expiresAt: Double
        var spent: Bool
    }

    private var entries: [String: Entry] = [:]
    private let clock: any WallClock

    init(clock: any WallClock = SystemWallClock()) {
        self.clock = clock
    }

    func open(userID: Int, lifetime: Int) async throws -> IssuedRefreshToken {
        let issued = IssuedRefreshToken(token: RefreshTokenFormat.newToken(), sessionID: RefreshTokenFormat.newSessionID())
        self.entries[RefreshTokenFormat.digest(issued.token)] = Entry(
            userID: userID, sessionID: issued.sessionID, expiresAt: self.clock.now() + Double(lifetime), spent: false
        )
        return issued
    }

    func rotate(_ token: String) async throws -> RefreshOutcome {
        let key = RefreshTokenFormat.digest(token)
        guard var entry = self.entries[key] else { return .unknown }
        guard entry.expiresAt > self.clock.now() else { return .expired }
        guard !entry.spent else { return .reused(userID: entry.userID, sessionID: entry.sessionID) }
        entry.spent = true
        self.entries[key] = entry
        let next = RefreshTokenFormat.newToken()
        self.entries[RefreshTokenFormat.digest(next)] = Entry(userID: entry.userID, sessionID: entry.sessionID, expiresAt: entry.expiresAt, spent: false)
        return .rotated(userID: entry.userID, sessionID: entry.sessionID, next: next)
    }
}
