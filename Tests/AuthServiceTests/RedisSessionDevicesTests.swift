@testable import AuthService
import Common
import Foundation
import Testing
import TestSupport

@Suite("RedisSessionStore session details: the list, ending one, all but one, refusing tokens, renewing")
struct RedisSessionDevicesTests {
    let policy = RedisSessionStoreTests.policy

    private func claims(userID: Int, sid: String, at clock: TestClock, epoch: Int = 0) -> AccessTokenClaims {
        let now = clock.now()
        return AccessTokenClaims(
            iss: "i", aud: "a", id: userID, roles: ["user"], sid: sid, jti: UUIDv7.make(milliseconds: Int64(now * 1000)),
            iat: Int(now), exp: Int(now) + 600, epoch: epoch
        )
    }

    private func rotate(_ store: RedisSessionStore, _ token: String) async throws -> (RotationOutcome, String) {
        let outcome = try await store.rotate(token)
        return (outcome, outcome.successor ?? "")
    }

    @Test("a session lists with when it began and was last refreshed, its user agent (truncated) and address; never a token")
    func listedWithDetails() async throws {
        try await withRedisSessionStore { store, redis, clock in
            let userID = randomUserID()
            let agent = "Agent/" + String(repeating: "x", count: 300)
            let phone = try await store.open(userID: userID, client: ClientDetails(ip: "192.0.2.7", userAgent: agent))
            clock.advance(by: 5)
            let laptop = try await store.open(userID: userID, client: .unknown)
            let start = Int(clock.now())
            clock.advance(by: 30)
            #expect(try await self.rotate(store, phone.token).0.successor != nil)

            let listed = try await store.liveSessions(ofUser: userID)
            #expect(listed.map(\.id) == [phone.sessionID, laptop.sessionID])
            #expect(listed[0].createdAt == start - 5 && listed[0].lastUsedAt == start + 30)
            #expect(listed[0].client == ClientDetails(ip: "192.0.2.7", userAgent: String(agent.prefix(200))))
            #expect(listed[1].createdAt == start && listed[1].lastUsedAt == start && listed[1].client == .unknown)
            let details = try await redis.send("HGETALL", RedisSessionStore.detailsKey(phone.sessionID))
            let stored = (details.array ?? []).compactMap(\.string).joined(separator: " ")
            #expect(!stored.contains(phone.token) && !stored.contains(laptop.token))
            #expect(try await store.liveSessions(ofUser: randomUserID()).isEmpty)
        }
    }

    @Test("ended, reused, idle-expired and other users' sessions are not listed")
    func onlyLiveSessions() async throws {
        try await withRedisSessionStore { store, redis, clock in
            let userID = randomUserID()
            let ended = try await store.open(userID: userID)
            let idle = try await store.open(userID: userID)
            let kept = try await store.open(userID: userID)
            try await store.revokeSession(ended.sessionID, userID: userID)
            clock.advance(by: Int64(self.policy.idleLifetime - 10))
            let (_, next) = try await self.rotate(store, kept.token)
            clock.advance(by: 20)
            #expect(try await store.liveSessions(ofUser: userID).map(\.id) == [kept.sessionID], "idle \(idle.sessionID) has expired")
            // Reuse: the spent token replayed once its successor was used.
            _ = try await self.rotate(store, next)
            clock.advance(by: Int64(self.policy.reuseGrace + 1))
            #expect(try await self.rotate(store, kept.token).0 == .reused(userID: userID, sessionID: kept.sessionID))
            #expect(try await store.liveSessions(ofUser: userID).isEmpty)
        }
    }

    @Test("ending one session: only the owner's own, and the others live on")
    func endOneSession() async throws {
        try await withRedisSessionStore { store, redis, clock in
            let list = RevocationList(redis: redis)
            let userID = randomUserID()
            let phone = try await store.open(userID: userID)
            let laptop = try await store.open(userID: userID)
            let stranger = randomUserID()

            #expect(try await store.endSession(phone.sessionID, ofUser: stranger) == nil)
            #expect(try await redis.send("EXISTS", RevocationKeys.session(phone.sessionID)) == .integer(0), "nothing written for a stranger")
            #expect(try await store.endSession("no-such-session-id-000", ofUser: userID) == nil)

            let ended = try #require(try await store.endSession(phone.sessionID, ofUser: userID))
            #expect(ended.position != nil)
            #expect(try await list.isRevoked(self.claims(userID: userID, sid: phone.sessionID, at: clock)))
            #expect(try await list.isRevoked(self.claims(userID: userID, sid: laptop.sessionID, at: clock)) == false)
            #expect(try await self.rotate(store, phone.token).0 == .revoked)
            #expect(try await self.rotate(store, laptop.token).0.successor != nil)
            #expect(try await store.liveSessions(ofUser: userID).map(\.id) == [laptop.sessionID])
            #expect(try await store.endSession(phone.sessionID, ofUser: userID) == nil, "already ended")
        }
    }

    @Test("after a password change's commit, all sessions but one end, and access tokens issued before now or under an older epoch are refused, the kept session's included")
    func allButOne() async throws {
        try await withRedisSessionStore { store, redis, clock in
            let list = RevocationList(redis: redis)
            let userID = randomUserID()
            let kept = try await store.open(userID: userID)
            let others = [try await store.open(userID: userID), try await store.open(userID: userID)]
            let oldToken = self.claims(userID: userID, sid: kept.sessionID, at: clock)
            clock.advance(by: 1)

            #expect(try await store.endOtherSessions(ofUser: userID, keeping: kept.sessionID, epoch: 1) != nil)

            for other in others { #expect(try await self.rotate(store, other.token).0 == .revoked) }
            #expect(try await list.isRevoked(oldToken))
            clock.advance(by: 1)
            #expect(try await list.isRevoked(self.claims(userID: userID, sid: kept.sessionID, at: clock)))
            #expect(try await list.isRevoked(self.claims(userID: userID, sid: kept.sessionID, at: clock, epoch: 1)) == false)
            #expect(try await store.rotate(kept.token, epoch: 1).successor != nil)
            #expect(try await store.liveSessions(ofUser: userID).map(\.id) == [kept.sessionID])
        }
    }

    @Test("refusing a user's access tokens ends no session: every one still refreshes")
    func refuseAccessTokens() async throws {
        try await withRedisSessionStore { store, redis, clock in
            let list = RevocationList(redis: redis)
            let userID = randomUserID()
            let sessions = [try await store.open(userID: userID), try await store.open(userID: userID)]
            let before = self.claims(userID: userID, sid: sessions[0].sessionID, at: clock)
            clock.advance(by: 1)

            let position = try await store.refuseAccessTokens(ofUser: userID, epoch: nil)
            #expect(position != nil)

            #expect(try await list.isRevoked(before))
            clock.advance(by: 1)
            #expect(try await list.isRevoked(self.claims(userID: userID, sid: sessions[0].sessionID, at: clock)) == false)
            for session in sessions { #expect(try await self.rotate(store, session.token).0.successor != nil) }
            #expect(try await store.liveSessions(ofUser: userID).count == 2)
        }
    }

    @Test("renewing replaces the live refresh token: the old one is unknown, the new one rotates, the session and its end stay")
    func renew() async throws {
        try await withRedisSessionStore { store, redis, clock in
            let userID = randomUserID()
            let session = try await store.open(userID: userID)
            let (_, live) = try await self.rotate(store, session.token)
            let end = try #require(try await redis.send("HGET", RedisSessionStore.detailsKey(session.sessionID), "exp").int)
            clock.advance(by: 40)

            #expect(try await store.renewRefreshToken(ofSession: session.sessionID, userID: randomUserID(), epoch: 0) == nil)
            let renewed = try #require(try await store.renewRefreshToken(ofSession: session.sessionID, userID: userID, epoch: 0))

            #expect(renewed.sessionID == session.sessionID && renewed.token != live)
            #expect(try await store.owner(of: live) == nil)
            #expect(try await store.rotate(live) == .unknown)
            #expect(try await store.owner(of: renewed.token) == RefreshTokenOwner(userID: userID, sessionID: session.sessionID))
            #expect(try await redis.send("HGET", RedisSessionStore.detailsKey(session.sessionID), "exp").int == end)
            #expect(try await store.liveSessions(ofUser: userID).first?.lastUsedAt == Int(clock.now()))
            #expect(try await self.rotate(store, renewed.token).0.successor != nil)

            try await store.revokeSession(session.sessionID, userID: userID)
            #expect(try await store.renewRefreshToken(ofSession: session.sessionID, userID: userID, epoch: 0) == nil)
        }
    }
}
