@testable import AuthService
import Common
import Foundation
import Testing
import TestSupport

/// The auth service writes revocations, the gateway reads them with `RevocationList`: the two must
/// agree on keys and meaning.
@Suite("What signout writes to Redis, the gateway's RevocationList reads")
struct RevocationRecordTests {
    private func claims(userID: Int, sid: String, iat: Int, jti: String = UUID().uuidString) -> AccessTokenClaims {
        AccessTokenClaims(iss: "i", aud: "a", id: userID, roles: ["user"], sid: sid, jti: jti, iat: iat, exp: iat + 600)
    }

    @Test("a denylisted jti is revoked until shortly after its exp; other tokens of the session are not")
    func revokedAccessToken() async throws {
        try await withRedisSessionStore { store, redis, clock in
            let list = RevocationList(redis: redis)
            let now = Int(clock.now())
            let signedOut = self.claims(userID: randomUserID(), sid: UUID().uuidString, iat: now)
            let sibling = self.claims(userID: signedOut.id, sid: signedOut.sid, iat: now)

            try await store.revokeAccessToken(jti: signedOut.jti, expiresAt: signedOut.exp)

            #expect(try await list.isRevoked(signedOut))
            #expect(try await list.isRevoked(sibling) == false)
            let ttl = try #require(try await redis.send("TTL", RevocationKeys.token(signedOut.jti)).int)
            #expect((600...660).contains(ttl))
        }
    }

    @Test("a revoked session revokes every access token issued in it")
    func revokedSession() async throws {
        try await withRedisSessionStore { store, redis, clock in
            let list = RevocationList(redis: redis)
            let userID = randomUserID()
            let session = try await store.open(userID: userID)
            let other = try await store.open(userID: userID)
            let now = Int(clock.now())

            try await store.revokeSession(session.sessionID, userID: userID)

            #expect(try await list.isRevoked(self.claims(userID: userID, sid: session.sessionID, iat: now)))
            #expect(try await list.isRevoked(self.claims(userID: userID, sid: other.sessionID, iat: now)) == false)
        }
    }

    @Test("reuse detection revokes the session for the gateway too")
    func reuseRevokesAccessTokens() async throws {
        try await withRedisSessionStore { store, redis, clock in
            let userID = randomUserID()
            let session = try await store.open(userID: userID)
            let successor = try #require(try await store.rotate(session.token).successor)
            // Reuse needs the successor to have been used; until then a replay just gets it again.
            _ = try #require(try await store.rotate(successor).successor)
            clock.advance(by: Int64(RedisSessionStoreTests.policy.reuseGrace + 1))
            #expect(try await store.rotate(session.token) == .reused(userID: userID, sessionID: session.sessionID))

            #expect(try await RevocationList(redis: redis).isRevoked(self.claims(userID: userID, sid: session.sessionID, iat: Int(clock.now()))))
        }
    }

    @Test("revoking all sessions refuses tokens issued before now and accepts those issued after")
    func userCutoff() async throws {
        try await withRedisSessionStore { store, redis, clock in
            let list = RevocationList(redis: redis)
            let userID = randomUserID()
            let now = Int(clock.now())

            try await store.revokeAllSessions(userID: userID, epoch: nil)

            #expect(try await list.isRevoked(self.claims(userID: userID, sid: UUID().uuidString, iat: now - 1)))
            #expect(try await list.isRevoked(self.claims(userID: userID, sid: UUID().uuidString, iat: now)) == false)
            #expect(try await list.isRevoked(self.claims(userID: randomUserID(), sid: UUID().uuidString, iat: now - 1)) == false)
        }
    }

    /// The entries of the revocation stream, as the gateway reads them.
    private func streamEntries(_ redis: TestRedis) async throws -> [RevocationEntry] {
        let reply = try await redis.client.send("XRANGE", RevocationStream.key, "-", "+")
        return (reply.array ?? []).compactMap { item in
            item.array.flatMap { $0.count == 2 ? $0[1].array : nil }.flatMap { RevocationEntry(fields: $0.map(\.string)) }
        }
    }

    @Test("a committed change's entry carries its epoch for the gateway; ending the others before a commit writes an entry per ended session and no cut-off")
    func streamEntriesCarryTheEpoch() async throws {
        try await TestRedis.withOwnDatabase { redis in
            let store = RedisSessionStore(redis: redis.client, policy: RedisSessionStoreTests.policy, clock: TestClock())
            let userID = randomUserID()
            let kept = try await store.open(userID: userID)
            let others = [try await store.open(userID: userID), try await store.open(userID: userID)]

            #expect(try await store.endOtherSessions(ofUser: userID, keeping: kept.sessionID, epoch: nil) != nil)
            let ended = try await self.streamEntries(redis)
            #expect(ended.map(\.kind) == [.session, .session])
            #expect(Set(ended.map(\.subject)) == Set(others.map(\.sessionID)))

            try await store.refuseAccessTokens(ofUser: userID, epoch: 4)
            try await store.revokeAllSessions(userID: userID, epoch: 5)
            let changes = try await self.streamEntries(redis).dropFirst(2)
            #expect(changes.map(\.kind) == [.user, .user])
            #expect(changes.map(\.subject) == [String(userID), String(userID)])
            #expect(changes.map(\.epoch) == [4, 5])
            #expect(try await redis.client.send("GET", RevocationKeys.userEpoch(String(userID), epoch: 5)).int == 5)
        }
    }
}
