@testable import AuthService
import Common
import Foundation
import Redis
import Testing
import TestSupport

@Suite("RedisSessionStore against a real Redis: rotation, grace, reuse, expiry and revocation")
struct RedisSessionStoreTests {
    static let policy = SessionPolicy(absoluteLifetime: 600, idleLifetime: 300, reuseGrace: 10, revocationRetention: 700)
    /// The production-like shape: sessions of a day, an hour of idleness.
    static let longPolicy = SessionPolicy(absoluteLifetime: 86_400, idleLifetime: 3_600, reuseGrace: 10, revocationRetention: 90_000)

    private func withStore(policy: SessionPolicy = Self.policy, _ body: (RedisSessionStore, TestClock) async throws -> Void) async throws {
        try await withRedisSessionStore(policy: policy) { store, _, clock in try await body(store, clock) }
    }

    /// Rotates `token`: the outcome, the successor it minted (empty when it minted none) and what a
    /// grace replay of `token` gets (``testSeal(_:)`` of that successor).
    private func rotate(_ store: RedisSessionStore, _ token: String) async throws -> (outcome: RotationOutcome, successor: String, sealed: String) {
        let outcome = try await store.rotate(token)
        let successor = outcome.successor ?? ""
        return (outcome, successor, testSeal(successor))
    }

    @Test("open, rotate, rotate the successor: each token is live once and the session carries over")
    func openAndRotate() async throws {
        try await self.withStore { store, _ in
            let userID = randomUserID()
            let issued = try await store.open(userID: userID)
            #expect(try await store.owner(of: issued.token) == RefreshTokenOwner(userID: userID, sessionID: issued.sessionID))

            let first = try await self.rotate(store, issued.token)
            #expect(first.outcome == .rotated(successor: first.successor))
            #expect(SessionRefreshToken(parsing: first.successor)?.generation == 2)
            #expect(try await store.owner(of: first.successor) == RefreshTokenOwner(userID: userID, sessionID: issued.sessionID))
            #expect(try await self.rotate(store, first.successor).outcome.successor != nil)
        }
    }

    @Test("a session's end is its signin plus the absolute lifetime, however often it is refreshed; an unknown session has none")
    func endOfSession() async throws {
        try await self.withStore { store, clock in
            let issued = try await store.open(userID: randomUserID())
            let opened = Int(clock.now())
            #expect(try await store.endOfSession(issued.sessionID) == opened + Self.policy.absoluteLifetime)
            clock.advance(by: 100)
            #expect(try await self.rotate(store, issued.token).outcome.successor != nil)
            #expect(try await store.endOfSession(issued.sessionID) == opened + Self.policy.absoluteLifetime)
            #expect(try await store.endOfSession(RefreshTokenFormat.newSessionID()) == nil)
        }
    }

    @Test("only digests are stored: the session record holds no token, secret or family, and no record per token exists")
    func storesDigestOnly() async throws {
        try await TestRedis.withOwnDatabase { redis in
            let store = RedisSessionStore(redis: redis.client, policy: Self.policy, clock: TestClock())
            let issued = try await store.open(userID: randomUserID())
            let rotated = try #require(try await store.rotate(issued.token).successor)

            let fields = try await redis.client.send("HGETALL", RedisSessionStore.detailsKey(issued.sessionID)).array?.compactMap(\.string) ?? []
            #expect(fields.contains("gen"))
            for token in [issued.token, rotated] {
                let parsed = try #require(SessionRefreshToken(parsing: token))
                #expect(!fields.contains { $0.contains(parsed.secret) || $0.contains(parsed.family) })
            }
            let keys = try await redis.client.send("KEYS", "*").array?.compactMap(\.string) ?? []
            #expect(!keys.contains { $0.hasPrefix(RedisSessionStore.keyPrefix) })
        }
    }

    @Test("a replay within the grace window returns the first rotation's sealed successor and mints nothing")
    func graceReplay() async throws {
        try await self.withStore { store, clock in
            let issued = try await store.open(userID: randomUserID())
            let first = try await self.rotate(store, issued.token)
            clock.advance(by: Int64(Self.policy.reuseGrace))

            let replay = try await self.rotate(store, issued.token)
            #expect(replay.outcome == .replayedWithinGrace(sealedSuccessor: first.sealed))
            // Nothing was minted: the first successor is still the live token.
            #expect(try await self.rotate(store, first.successor).outcome.successor != nil)
        }
    }

    @Test("a replay after the grace window, once the successor has been used, is reuse: the session is revoked, successors included")
    func reuseRevokesSession() async throws {
        try await TestRedis.withClient { redis throws in
            let clock = TestClock()
            let store = RedisSessionStore(redis: redis, policy: Self.policy, clock: clock)
            let userID = randomUserID()
            let issued = try await store.open(userID: userID)
            let first = try await self.rotate(store, issued.token)
            let second = try await self.rotate(store, first.successor)
            clock.advance(by: Int64(Self.policy.reuseGrace + 1))

            #expect(try await self.rotate(store, issued.token).outcome == .reused(userID: userID, sessionID: issued.sessionID))
            #expect(try await self.rotate(store, second.successor).outcome == .revoked)
            #expect(try await self.rotate(store, first.successor).outcome == .revoked)
            #expect(try await self.rotate(store, issued.token).outcome == .revoked)
        }
    }

    @Test("the GoTrue rule: a spent token whose successor was never used gets that successor again, for hours, minting nothing")
    func unusedSuccessorReplays() async throws {
        try await self.withStore(policy: Self.longPolicy) { store, clock in
            let issued = try await store.open(userID: randomUserID())
            let first = try await self.rotate(store, issued.token)
            #expect(first.outcome.successor != nil)
            // A client that keeps its signin token: every 15 minutes for 8 hours, longer than the
            // idle lifetime, so the replays must keep the unused successor alive.
            for _ in 0..<32 {
                clock.advance(by: 900)
                #expect(try await self.rotate(store, issued.token).outcome == .replayedUnusedSuccessor(successor: first.successor))
            }
            // The successor itself still rotates, and from then on the signin token is reuse.
            #expect(try await self.rotate(store, first.successor).outcome.successor != nil)
            clock.advance(by: Int64(Self.longPolicy.reuseGrace + 1))
            #expect(try await self.rotate(store, issued.token).outcome == .reused(userID: try #require(try await store.owner(of: issued.token)).userID, sessionID: issued.sessionID))
        }
    }

    @Test("a replay of any generation older than the last spent one is reuse, even while the newest token is unused")
    func olderGenerationIsReuse() async throws {
        try await self.withStore { store, clock in
            let userID = randomUserID()
            let zero = try await store.open(userID: userID)
            let one = try await self.rotate(store, zero.token)
            let two = try await self.rotate(store, one.successor)
            clock.advance(by: Int64(Self.policy.reuseGrace + 1))

            #expect(try await self.rotate(store, one.successor).outcome == .replayedUnusedSuccessor(successor: two.successor))
            #expect(try await self.rotate(store, zero.token).outcome == .reused(userID: userID, sessionID: zero.sessionID))
            #expect(try await self.rotate(store, two.successor).outcome == .revoked)
        }
    }

    @Test("within the grace window too, a token older than the live one's parent is reuse: a thief cannot follow the chain")
    func olderGenerationWithinGraceIsReuse() async throws {
        try await self.withStore { store, clock in
            let userID = randomUserID()
            let zero = try await store.open(userID: userID)
            let one = try await self.rotate(store, zero.token)
            var latest = one
            for _ in 0..<3 {
                latest = try await self.rotate(store, latest.successor)
            }

            #expect(try await self.rotate(store, zero.token).outcome == .reused(userID: userID, sessionID: zero.sessionID))
            #expect(try await self.rotate(store, latest.successor).outcome == .revoked)
        }
    }

    @Test("an unused successor left idle past the idle lifetime is not handed out again: expired")
    func idleSuccessorExpires() async throws {
        try await self.withStore { store, clock in
            let issued = try await store.open(userID: randomUserID())
            _ = try await self.rotate(store, issued.token)
            clock.advance(by: Int64(Self.policy.idleLifetime))
            #expect(try await self.rotate(store, issued.token).outcome == .expired)
        }
    }

    @Test("tokens we never issued are unknown, well-formed or not", arguments: [
        SessionRefreshToken.first(sessionID: RefreshTokenFormat.newSessionID()).text, LegacySessions.newToken(), "", "short",
        String(repeating: "é", count: 43), "a.b.c.d", SessionRefreshToken.first(sessionID: "AAAAAAAAAAAAAAAAAAAAAA").text + ".x",
    ])
    func unknownTokens(token: String) async throws {
        try await TestRedis.withClient { redis throws in
            let store = RedisSessionStore(redis: redis, policy: Self.policy, clock: TestClock())
            #expect(try await store.owner(of: token) == nil)
            #expect(try await self.rotate(store, token).outcome == .unknown)
        }
    }

    @Test("a token naming a live session, any generation, but not of its family or not its secret is unknown and revokes nothing")
    func forgedTokensRevokeNothing() async throws {
        try await self.withStore { store, clock in
            let issued = try await store.open(userID: randomUserID())
            var live = issued.token
            for _ in 0..<3 { live = try #require(try await store.rotate(live).successor) }
            clock.advance(by: Int64(Self.policy.reuseGrace + 1))
            let real = try #require(SessionRefreshToken(parsing: live))
            let stranger = SessionRefreshToken.first(sessionID: issued.sessionID)

            for generation in 1...real.generation + 1 {
                var forged = stranger
                forged.generation = generation
                #expect(try await store.owner(of: forged.text) == nil)
                #expect(try await self.rotate(store, forged.text).outcome == .unknown)
            }
            // The right family with a wrong secret, for the two generations whose secrets the record knows.
            for generation in [real.generation, real.generation - 1] {
                let forged = SessionRefreshToken(sessionID: real.sessionID, generation: generation, family: real.family, secret: stranger.secret)
                #expect(try await self.rotate(store, forged.text).outcome == .unknown)
            }
            #expect(try await self.rotate(store, live).outcome.successor != nil)
        }
    }

    @Test("a token from ten rotations ago is reuse: it still revokes the session, and its newest token with it")
    func tenRotationsAgoIsReuse() async throws {
        try await self.withStore { store, clock in
            let userID = randomUserID()
            let issued = try await store.open(userID: userID)
            var tokens = [issued.token]
            for _ in 0..<11 { tokens.append(try #require(try await store.rotate(tokens.last!).successor)) }
            clock.advance(by: 60)

            #expect(try await self.rotate(store, tokens[1]).outcome == .reused(userID: userID, sessionID: issued.sessionID))
            #expect(try await self.rotate(store, tokens.last!).outcome == .revoked)
            #expect(try await store.liveSessions(ofUser: userID).isEmpty)
        }
    }

    @Test("a token unused past the idle lifetime is expired")
    func idleExpiry() async throws {
        try await self.withStore { store, clock in
            let issued = try await store.open(userID: randomUserID())
            clock.advance(by: Int64(Self.policy.idleLifetime))
            #expect(try await self.rotate(store, issued.token).outcome == .expired)
        }
    }

    @Test("a session kept active still ends at its absolute lifetime")
    func absoluteExpiry() async throws {
        try await self.withStore { store, clock in
            var token = try await store.open(userID: randomUserID()).token
            clock.advance(by: Int64(Self.policy.idleLifetime - 1))
            let step = try await self.rotate(store, token)
            #expect(step.outcome.successor != nil)
            token = step.successor
            clock.advance(by: Int64(Self.policy.absoluteLifetime - Self.policy.idleLifetime + 1))
            #expect(try await self.rotate(store, token).outcome == .expired)
        }
    }

    @Test("16 concurrent rotations of one token: exactly one rotates, the others get its successor")
    func concurrentRotations() async throws {
        try await self.withStore { store, _ in
            let issued = try await store.open(userID: randomUserID())
            let results = try await withThrowingTaskGroup(of: (RotationOutcome, String).self) { group in
                for _ in 0..<16 {
                    group.addTask {
                        let result = try await self.rotate(store, issued.token)
                        return (result.outcome, result.sealed)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let winners = results.filter { $0.0.successor != nil }
            #expect(winners.count == 1)
            let winnerSealed = try #require(winners.first?.1)
            let others = results.filter { $0.0.successor == nil }.map(\.0)
            #expect(others.count == 15)
            #expect(others.allSatisfy { $0 == .replayedWithinGrace(sealedSuccessor: winnerSealed) })
        }
    }

    @Test("revoking a session ends its refresh tokens but not the user's other sessions")
    func revokeSession() async throws {
        try await self.withStore { store, _ in
            let userID = randomUserID()
            let phone = try await store.open(userID: userID)
            let laptop = try await store.open(userID: userID)

            try await store.revokeSession(phone.sessionID, userID: userID)

            #expect(try await self.rotate(store, phone.token).outcome == .revoked)
            #expect(try await self.rotate(store, laptop.token).outcome.successor != nil)
        }
    }

    @Test("revoking all sessions ends every one of them; a later signin works")
    func revokeAllSessions() async throws {
        try await self.withStore { store, clock in
            let userID = randomUserID()
            let phone = try await store.open(userID: userID)
            let laptop = try await store.open(userID: userID)
            let stranger = try await store.open(userID: randomUserID())

            try await store.revokeAllSessions(userID: userID, epoch: nil)
            clock.advance(by: 1)
            let later = try await store.open(userID: userID)

            #expect(try await self.rotate(store, phone.token).outcome == .revoked)
            #expect(try await self.rotate(store, laptop.token).outcome == .revoked)
            #expect(try await self.rotate(store, later.token).outcome.successor != nil)
            #expect(try await self.rotate(store, stranger.token).outcome.successor != nil)
        }
    }
}

/// A session store on a leased test Redis database, with `policy` and the hand-moved clock it reads.
func withRedisSessionStore(
    policy: SessionPolicy = RedisSessionStoreTests.policy,
    _ body: (RedisSessionStore, RedisClient, TestClock) async throws -> Void
) async throws {
    try await TestRedis.withClient { redis in
        let clock = TestClock()
        try await body(RedisSessionStore(redis: redis, policy: policy, clock: clock), redis, clock)
    }
}
