@testable import AuthService
import Common
import Foundation
import Testing
import TestSupport

@Suite("Sessions opened before the session record keep working: each moves to it at its next rotation, nobody signed out")
struct LegacySessionMigrationTests {
    static let policy = RedisSessionStoreTests.policy

    private func withStore(_ body: (RedisSessionStore, TestRedis, TestClock) async throws -> Void) async throws {
        try await TestRedis.withOwnDatabase { redis in
            let clock = TestClock()
            try await body(RedisSessionStore(redis: redis.client, policy: Self.policy, clock: clock), redis, clock)
        }
    }

    @Test("the live token of an earlier-format session rotates into a token of the session format; the session, its start and its details go on")
    func liveTokenMoves() async throws {
        try await self.withStore { store, redis, clock in
            let userID = randomUserID()
            let agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
            let started = Int(clock.now())
            let legacy = try await LegacySessions.open(
                redis.client, userID: userID, now: started, policy: Self.policy, client: ClientDetails(ip: "192.0.2.9", userAgent: agent)
            )
            clock.advance(by: 30)
            #expect(try await store.owner(of: legacy.token) == RefreshTokenOwner(userID: userID, sessionID: legacy.sessionID))

            let moved = try #require(try await store.rotate(legacy.token).successor)
            let parsed = try #require(SessionRefreshToken(parsing: moved))
            #expect(parsed.sessionID == legacy.sessionID && parsed.generation == 1)
            #expect(try await store.owner(of: moved) == RefreshTokenOwner(userID: userID, sessionID: legacy.sessionID))
            #expect(try await store.rotate(moved).successor != nil)

            let listed = try #require(try await store.liveSessions(ofUser: userID).first)
            #expect(listed.id == legacy.sessionID && listed.createdAt == started && listed.lastUsedAt == started + 30)
            #expect(listed.client == ClientDetails(ip: "192.0.2.9", userAgent: agent))
            #expect(try await redis.client.send("OBJECT", "ENCODING", RedisSessionStore.detailsKey(legacy.sessionID)).string == "listpack")
        }
    }

    @Test("the old token of a moved session gets the grace pair, then the same successor, and is reuse once that successor rotated")
    func oldTokenAfterTheMove() async throws {
        try await self.withStore { store, redis, clock in
            let userID = randomUserID()
            let legacy = try await LegacySessions.open(redis.client, userID: userID, now: Int(clock.now()), policy: Self.policy, client: .unknown)
            let moved = try #require(try await store.rotate(legacy.token).successor)

            clock.advance(by: Int64(Self.policy.reuseGrace))
            #expect(try await store.rotate(legacy.token) == .replayedWithinGrace(sealedSuccessor: testSeal(moved)))
            clock.advance(by: 60)
            #expect(try await store.rotate(legacy.token) == .replayedUnusedSuccessor(successor: moved))

            let next = try #require(try await store.rotate(moved).successor)
            clock.advance(by: Int64(Self.policy.reuseGrace + 1))
            #expect(try await store.rotate(legacy.token) == .reused(userID: userID, sessionID: legacy.sessionID))
            #expect(try await store.rotate(next) == .revoked)
        }
    }

    @Test("a spent earlier-format token keeps its rules: its unused successor again (opened from its seal), reuse once the session moved on")
    func spentLegacyTokenKeepsItsRules() async throws {
        try await self.withStore { store, redis, clock in
            let userID = randomUserID()
            let first = try await LegacySessions.open(redis.client, userID: userID, now: Int(clock.now()), policy: Self.policy, client: .unknown)
            let second = LegacySessions.newToken()
            let sealed = try SuccessorSeal.seal(SuccessorPair(accessToken: "a.b.c", refreshToken: second, epoch: 0), under: first.token)
            try await LegacySessions.rotate(redis.client, first.token, into: second, sealed: sealed, now: Int(clock.now()), policy: Self.policy)

            #expect(try await store.rotate(first.token) == .replayedWithinGrace(sealedSuccessor: sealed))
            clock.advance(by: Int64(Self.policy.reuseGrace + 1))
            #expect(try await store.rotate(first.token) == .replayedUnusedSuccessor(successor: second))

            let moved = try #require(try await store.rotate(second).successor)
            clock.advance(by: Int64(Self.policy.reuseGrace + 1))
            #expect(try await store.rotate(first.token) == .reused(userID: userID, sessionID: first.sessionID))
            #expect(try await store.rotate(moved) == .revoked)
        }
    }

    @Test("renewing an earlier-format session (a password change) gives it a session-format token; its old token is unknown from then on")
    func renewalMoves() async throws {
        try await self.withStore { store, redis, clock in
            let userID = randomUserID()
            let legacy = try await LegacySessions.open(redis.client, userID: userID, now: Int(clock.now()), policy: Self.policy, client: .unknown)
            let renewed = try #require(try await store.renewRefreshToken(ofSession: legacy.sessionID, userID: userID, epoch: 0))

            #expect(SessionRefreshToken(parsing: renewed.token)?.sessionID == legacy.sessionID)
            #expect(try await store.owner(of: legacy.token) == nil)
            #expect(try await store.rotate(legacy.token) == .unknown)
            #expect(try await store.rotate(renewed.token).successor != nil)
        }
    }
}
