@testable import AuthService
import Common
import Foundation
import Testing
import TestSupport

/// The session stores a test can run the same cases against.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case memory, redis

    var testDescription: String { self.rawValue }
}

@Suite("Credential epochs, the same in the in-memory store and in Redis: nothing is issued under an epoch a change has left behind")
struct SessionEpochContractTests {
    static let policy = RedisSessionStoreTests.policy

    /// A store of `kind` with the hand-moved clock it reads.
    private func withStore(_ kind: StoreKind, _ body: (any SessionStore, TestClock) async throws -> Void) async throws {
        let clock = TestClock()
        switch kind {
        case .memory:
            try await body(MemorySessionStore(policy: Self.policy, clock: clock), clock)
        case .redis:
            try await TestRedis.withClient { redis in
                try await body(RedisSessionStore(redis: redis, policy: Self.policy, clock: clock), clock)
            }
        }
    }

    private func claims(_ userID: Int, sid: String, epoch: Int?, at clock: TestClock) -> AccessTokenClaims {
        let now = clock.now()
        return AccessTokenClaims(
            iss: "i", aud: "a", id: userID, roles: ["user"], sid: sid, jti: UUIDv7.make(milliseconds: Int64(now * 1000)),
            iat: Int(now), exp: Int(now) + 600, epoch: epoch
        )
    }

    private func rotate(_ store: any SessionStore, _ token: String, epoch: Int) async throws -> RotationOutcome {
        try await store.rotate(token, epoch: epoch)
    }

    @Test("a session read at the old epoch is not opened once a change raised it, and nothing is written; one read at the new epoch is", arguments: StoreKind.allCases)
    func openRefusesAnOldEpoch(kind: StoreKind) async throws {
        try await self.withStore(kind) { store, clock in
            let userID = randomUserID()
            #expect(try await store.open(userID: userID, epoch: 4, client: .unknown) != nil)
            try await store.revokeAllSessions(userID: userID, epoch: 5)
            clock.advance(by: 1)

            #expect(try await store.open(userID: userID, epoch: 4, client: .unknown) == nil)
            #expect(try await store.liveSessions(ofUser: userID).isEmpty)
            let opened = try #require(try await store.open(userID: userID, epoch: 5, client: .unknown))
            #expect(try await store.liveSessions(ofUser: userID).map(\.id) == [opened.sessionID])
        }
    }

    @Test("a rotation for an account read at the old epoch spends nothing: accountChanged, then the same token rotates at the new one", arguments: StoreKind.allCases)
    func rotationRefusesAnOldEpoch(kind: StoreKind) async throws {
        try await self.withStore(kind) { store, _ in
            let userID = randomUserID()
            let session = try #require(try await store.open(userID: userID, epoch: 0, client: .unknown))
            // A role change: sessions go on, tokens of the old epoch do not.
            try await store.refuseAccessTokens(ofUser: userID, epoch: 1)

            #expect(try await self.rotate(store, session.token, epoch: 0) == .accountChanged)
            #expect(try await self.rotate(store, session.token, epoch: 1).successor != nil)
        }
    }

    @Test("the caller's session is renewed only at the epoch its change committed, not at an older one, nor once a later change raised it", arguments: StoreKind.allCases)
    func renewalFollowsTheEpoch(kind: StoreKind) async throws {
        try await self.withStore(kind) { store, _ in
            let userID = randomUserID()
            let session = try #require(try await store.open(userID: userID, epoch: 0, client: .unknown))
            try await store.endOtherSessions(ofUser: userID, keeping: session.sessionID, epoch: 1)

            #expect(try await store.renewRefreshToken(ofSession: session.sessionID, userID: userID, epoch: 0) == nil)
            #expect(try await store.renewRefreshToken(ofSession: session.sessionID, userID: userID, epoch: 1) != nil)
            try await store.refuseAccessTokens(ofUser: userID, epoch: 2)
            #expect(try await store.renewRefreshToken(ofSession: session.sessionID, userID: userID, epoch: 1) == nil)
        }
    }

    @Test("access tokens below the raised epoch are revoked, however late they were signed; those at it are not", arguments: StoreKind.allCases)
    func tokensBelowTheEpochAreRevoked(kind: StoreKind) async throws {
        try await self.withStore(kind) { store, clock in
            let userID = randomUserID()
            try await store.refuseAccessTokens(ofUser: userID, epoch: 3)
            clock.advance(by: 2)

            #expect(try await store.isRevoked(self.claims(userID, sid: "s", epoch: 2, at: clock)))
            #expect(try await store.isRevoked(self.claims(userID, sid: "s", epoch: 3, at: clock)) == false)
            // A token from before epochs, issued after the change: only the time cut-off applies.
            #expect(try await store.isRevoked(self.claims(userID, sid: "s", epoch: nil, at: clock)) == false)
            #expect(try await store.isRevoked(self.claims(randomUserID(), sid: "s", epoch: 0, at: clock)) == false)
        }
    }

    @Test("a reader that saw a newer epoch raises the mirror: an older reader is refused before the change's own revocation ran", arguments: StoreKind.allCases)
    func readersRaiseTheMirror(kind: StoreKind) async throws {
        try await self.withStore(kind) { store, _ throws in
            let userID = randomUserID()
            #expect(try await store.open(userID: userID, epoch: 7, client: .unknown) != nil)
            #expect(try await store.open(userID: userID, epoch: 6, client: .unknown) == nil)
            #expect(try await store.open(userID: userID, epoch: 7, client: .unknown) != nil)
        }
    }

    @Test("epochs compare only within a lineage: a change to another account with the same id refuses nothing of this one", arguments: StoreKind.allCases)
    func lineagesDoNotMeet(kind: StoreKind) async throws {
        try await self.withStore(kind) { store, clock in
            let userID = randomUserID()
            let mine = 3 << CredentialEpoch.counterBits
            let theirs = 4 << CredentialEpoch.counterBits
            let session = try #require(try await store.open(userID: userID, epoch: mine, client: .unknown))
            try await store.refuseAccessTokens(ofUser: userID, epoch: theirs + 7)
            clock.advance(by: 1)

            #expect(try await store.open(userID: userID, epoch: mine, client: .unknown) != nil)
            #expect(try await self.rotate(store, session.token, epoch: mine).successor != nil)
            #expect(try await store.isRevoked(self.claims(userID, sid: session.sessionID, epoch: mine, at: clock)) == false)
            #expect(try await store.open(userID: userID, epoch: theirs + 6, client: .unknown) == nil)
        }
    }

    @Test("revocations before a commit (no epoch) end sessions but never raise the epoch: a change that then fails locks nobody out", arguments: StoreKind.allCases)
    func revocationsBeforeACommitLeaveTheEpoch(kind: StoreKind) async throws {
        try await self.withStore(kind) { store, clock in
            let userID = randomUserID()
            let kept = try #require(try await store.open(userID: userID, epoch: 2, client: .unknown))
            let other = try #require(try await store.open(userID: userID, epoch: 2, client: .unknown))
            let keptToken = self.claims(userID, sid: kept.sessionID, epoch: 2, at: clock)
            clock.advance(by: 1)
            try await store.endOtherSessions(ofUser: userID, keeping: kept.sessionID, epoch: nil)
            try await store.refuseAccessTokens(ofUser: userID, epoch: nil)
            clock.advance(by: 1)

            #expect(try await self.rotate(store, other.token, epoch: 2) == .revoked)
            #expect(try await self.rotate(store, kept.token, epoch: 2).successor != nil)
            #expect(try await store.open(userID: userID, epoch: 2, client: .unknown) != nil)
            #expect(try await store.isRevoked(self.claims(userID, sid: kept.sessionID, epoch: 2, at: clock)) == false)
            // The access-token cut-off moved, as a role change's first pass moves it.
            #expect(try await store.isRevoked(keptToken))
        }
    }

    @Test("ending the other sessions before a password change commits leaves the kept session's access tokens alone", arguments: StoreKind.allCases)
    func endingOthersWithoutAnEpochSparesTheKeptToken(kind: StoreKind) async throws {
        try await self.withStore(kind) { store, clock in
            let userID = randomUserID()
            let kept = try #require(try await store.open(userID: userID, epoch: 0, client: .unknown))
            let other = try #require(try await store.open(userID: userID, epoch: 0, client: .unknown))
            let keptToken = self.claims(userID, sid: kept.sessionID, epoch: 0, at: clock)
            clock.advance(by: 1)

            try await store.endOtherSessions(ofUser: userID, keeping: kept.sessionID, epoch: nil)

            #expect(try await store.isRevoked(keptToken) == false)
            #expect(try await store.isRevoked(self.claims(userID, sid: other.sessionID, epoch: 0, at: clock)))
            #expect(try await store.liveSessions(ofUser: userID).map(\.id) == [kept.sessionID])
        }
    }
}
