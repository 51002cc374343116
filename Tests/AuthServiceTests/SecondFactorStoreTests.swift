@testable import AuthService
import Common
import Foundation
import JWTKit
import PostgresNIO
import Testing
import TestSupport

@Suite("Second factors on the real PostgreSQL and Redis: single use of steps and codes, the mfaToken's attempts, and enabling winning against a signin in flight")
struct SecondFactorStoreTests {
    static let policy = SessionPolicy(absoluteLifetime: 600, idleLifetime: 300, reuseGrace: 10, revocationRetention: 700)

    private struct Stores {
        let users: PostgresUserRepository
        let factors: PostgresSecondFactorRepository
        let sessions: RedisSessionStore
        let pending: PendingSignins
        let credentials: CredentialIssuer
    }

    private func withStores(_ body: (Stores) async throws -> Void) async throws {
        try await withTestDatabase { client in
            try await Migrator(client: client, logger: storeLogger).migrate()
            try await TestRedis.withClient { redis in
                let users = PostgresUserRepository(client: client, logger: storeLogger)
                let sessions = RedisSessionStore(redis: redis, policy: Self.policy)
                let keys = SigningKeys(signingKey: try PrivateSigningKey(.es256(ES256PrivateKey())))
                try await body(Stores(
                    users: users,
                    factors: PostgresSecondFactorRepository(database: TimeBoundDatabase(client: client), logger: storeLogger),
                    sessions: sessions,
                    pending: PendingSignins(redis: redis),
                    credentials: CredentialIssuer(
                        users: users, sessions: sessions,
                        accessTokens: await AccessTokenIssuer(signingKeys: keys, settings: AuthFixture.tokens, lifetime: 600)
                    )
                ))
            }
        }
    }

    private func newUser(_ stores: Stores) async throws -> UserRecord {
        let name = "u" + UUID().uuidString.prefix(8).lowercased()
        let id = try await stores.users.create(NewUser(username: name, email: "\(name)@example.com", passwordHash: "$argon2id$x", roles: [.user]))
        return try #require(try await stores.users.find(id: id))
    }

    /// Enrols and confirms a factor for `user` as read, at step 100; the new epoch.
    private func enable(_ stores: Stores, _ user: UserRecord, hashes: [String] = ["h1", "h2"]) async throws -> Int {
        #expect(try await stores.factors.enroll(userID: user.id, sealedSecret: "sealed-\(user.id)"))
        let outcome = try await stores.factors.confirm(
            userID: user.id, sealedSecret: "sealed-\(user.id)", step: 100, codeHashes: hashes, epoch: user.credentialEpoch
        )
        guard case .enabled(let epoch) = outcome else {
            Issue.record("confirm answered \(outcome)")
            return user.credentialEpoch
        }
        return epoch
    }

    @Test("a signin that read the account before the factor was enabled opens no session after it")
    func enablingWinsAgainstASigninInFlight() async throws {
        try await self.withStores { stores in
            let stale = try await self.newUser(stores)
            // Enabling commits and revokes as the confirm route does, between the signin's read and its session.
            let epoch = try await self.enable(stores, stale)
            #expect(epoch > stale.credentialEpoch)
            try await stores.sessions.endOtherSessions(ofUser: stale.id, keeping: "none", epoch: epoch)
            #expect(try await stores.credentials.openSession(for: stale, client: .unknown) == nil)
            // Read afresh, the account has the factor: a session needs otp, which the issuer checks itself.
            let fresh = try #require(try await stores.users.find(id: stale.id))
            #expect(fresh.secondFactorEnabled && fresh.credentialEpoch == epoch)
            await #expect(throws: MissingSecondFactor.self) { try await stores.credentials.openSession(for: fresh, client: .unknown) }
            let issued = try #require(try await stores.credentials.openSession(for: fresh, client: .unknown, methods: .passwordAndOTP))
            // The session keeps its amr: its refresh issues otp again; one without otp is refused.
            guard case .issued = try await stores.credentials.refresh(issued.refreshToken) else {
                Issue.record("the refresh of a session with otp was refused")
                return
            }
        }
    }

    @Test("a session opened with the password alone is not continued once the account has a factor")
    func passwordSessionIsNotRefreshedAfterEnabling() async throws {
        try await self.withStores { stores in
            let user = try await self.newUser(stores)
            let before = try #require(try await stores.credentials.openSession(for: user, client: .unknown))
            // Enabled without revoking anything (as if the revocation after the commit had failed).
            _ = try await self.enable(stores, user)
            #expect(try await stores.credentials.refresh(before.refreshToken) == .secondFactorMissing)
        }
    }

    @Test("a step is accepted once, and never one at or below the last accepted; a recovery code works once")
    func singleUse() async throws {
        try await self.withStores { stores in
            let user = try await self.newUser(stores)
            _ = try await self.enable(stores, user)
            // The confirming step (100) was spent by the confirmation.
            #expect(try await !stores.factors.useStep(100, userID: user.id, resealed: nil))
            #expect(try await stores.factors.useStep(101, userID: user.id, resealed: nil))
            #expect(try await !stores.factors.useStep(101, userID: user.id, resealed: nil))
            #expect(try await !stores.factors.useStep(99, userID: user.id, resealed: "other"))
            #expect(try await stores.factors.useStep(102, userID: user.id, resealed: "resealed"))
            #expect(try await stores.factors.factor(userID: user.id) == StoredFactor(sealedSecret: "resealed", confirmed: true, lastStep: 102))
            #expect(try await stores.factors.useRecoveryCode(hash: "h1", userID: user.id))
            #expect(try await !stores.factors.useRecoveryCode(hash: "h1", userID: user.id))
            #expect(try await !stores.factors.useRecoveryCode(hash: "unknown", userID: user.id))
            #expect(try await stores.factors.status(userID: user.id) == FactorStatus(totp: true, recoveryCodesLeft: 1))
            #expect(try await stores.factors.replaceRecoveryCodes(userID: user.id, codeHashes: ["n1", "n2", "n3"]))
            #expect(try await !stores.factors.useRecoveryCode(hash: "h2", userID: user.id))
            #expect(try await stores.factors.status(userID: user.id) == FactorStatus(totp: true, recoveryCodesLeft: 3))
        }
    }

    @Test("enroll replaces a pending secret only; confirm refuses a replaced secret and a moved epoch; remove advances the epoch")
    func lifecycle() async throws {
        try await self.withStores { stores in
            let user = try await self.newUser(stores)
            #expect(try await stores.factors.enroll(userID: user.id, sealedSecret: "first"))
            #expect(try await stores.factors.enroll(userID: user.id, sealedSecret: "second"))
            #expect(try await stores.factors.confirm(userID: user.id, sealedSecret: "first", step: 5, codeHashes: [], epoch: user.credentialEpoch) == .secretChanged)
            #expect(try await stores.factors.confirm(userID: user.id, sealedSecret: "second", step: 5, codeHashes: [], epoch: user.credentialEpoch - 1) == .accountChanged)
            #expect(try await stores.factors.status(userID: user.id) == FactorStatus(totp: false, recoveryCodesLeft: 0))
            guard case .enabled(let epoch) = try await stores.factors.confirm(
                userID: user.id, sealedSecret: "second", step: 5, codeHashes: ["a"], epoch: user.credentialEpoch
            ) else {
                Issue.record("confirm refused")
                return
            }
            #expect(try await !stores.factors.enroll(userID: user.id, sealedSecret: "third"), "an enabled factor is not replaced")
            let removed = try #require(try await stores.factors.remove(userID: user.id))
            #expect(removed > epoch)
            #expect(try await stores.factors.remove(userID: user.id) == nil)
            #expect(try await stores.factors.status(userID: user.id) == FactorStatus(totp: false, recoveryCodesLeft: 0))
            #expect(try await !stores.factors.anyFactorStored())
        }
    }

    @Test("an mfaToken is taken once; put back after a wrong code it lives to its fifth")
    func pendingSignins() async throws {
        try await self.withStores { stores in
            let pending = PendingSignin(userID: 7, epoch: 3, attempts: 0)
            let token = try await stores.pending.start(pending)
            #expect(token.utf8.count == 43)
            var taken = try #require(try await stores.pending.take(token))
            #expect(taken.0 == pending && taken.remaining > 290_000)
            #expect(try await stores.pending.take(token) == nil, "single use")
            for attempt in 1...4 {
                #expect(try await stores.pending.putBack(token, taken.0, remaining: taken.remaining))
                taken = try #require(try await stores.pending.take(token))
                #expect(taken.0.attempts == attempt)
            }
            #expect(try await !stores.pending.putBack(token, taken.0, remaining: taken.remaining), "the fifth wrong code kills it")
            #expect(try await stores.pending.take(token) == nil)
            for junk in ["", "x", String(repeating: "a", count: 43) + "=", token.uppercased()] {
                #expect(try await stores.pending.take(junk) == nil)
            }
        }
    }
}
