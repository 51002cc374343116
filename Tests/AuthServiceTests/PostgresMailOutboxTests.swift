@testable import AuthService
import Common
import Foundation
import PostgresNIO
import Testing

@Suite("Mail tokens and the outbox in PostgreSQL: a token only with its mail, single use, claims no two replicas share")
struct PostgresMailOutboxTests {
    private struct Stores {
        var users: PostgresUserRepository
        var mail: PostgresAccountMailRepository
        var outbox: PostgresMailOutbox
        var client: PostgresClient
    }

    private func withStores(_ body: (Stores) async throws -> Void) async throws {
        try await withTestDatabase { client in
            try await Migrator(client: client, logger: storeLogger).migrate()
            let database = TimeBoundDatabase(client: client)
            try await body(Stores(
                users: PostgresUserRepository(database: database, logger: storeLogger),
                mail: PostgresAccountMailRepository(database: database, logger: storeLogger, messageIDDomain: "auth.test"),
                outbox: PostgresMailOutbox(database: database, logger: storeLogger),
                client: client
            ))
        }
    }

    private func addUser(_ stores: Stores, _ name: String) async throws -> Int {
        try await stores.users.create(NewUser(username: name, email: "\(name)@example.com", passwordHash: "hash-\(name)", roles: [.user]))
    }

    private func count(_ stores: Stores, _ table: String) async throws -> String {
        try await column(stores.client, PostgresQuery(unsafeSQL: "SELECT count(*)::text FROM \(table)")).first ?? "?"
    }

    @Test("a reset for an unknown address writes nothing; for a known one a token (its hash only) and its mail")
    func forgotWritesBothOrNothing() async throws {
        try await self.withStores { stores in
            let id = try await self.addUser(stores, "alice")
            #expect(try await stores.mail.requestPasswordReset(emailKey: "nobody@example.com", token: .new(), ttl: 60) == nil)
            #expect(try await self.count(stores, "auth_mail_tokens") == "0")
            #expect(try await self.count(stores, "auth_mail_outbox") == "0")
            let token = MailToken.new()
            #expect(try await stores.mail.requestPasswordReset(emailKey: "alice@example.com", token: token, ttl: 60) == id)
            #expect(try await column(stores.client, #"SELECT "tokenHash" FROM auth_mail_tokens"#) == [token.hash])
            #expect(try await column(stores.client, "SELECT count(*)::text FROM auth_mail_tokens WHERE \"tokenHash\" = \(token.token)") == ["0"])
            let mails = try await stores.outbox.claimDue(limit: 10, lease: 60)
            #expect(mails.map(\.kind) == ["password_reset"] && mails[0].parameters == ["username": "alice", "token": token.token])
            #expect(mails[0].recipient == "alice@example.com" && mails[0].messageID.hasSuffix("@auth.test") && mails[0].attempts == 1)
        }
    }

    @Test("a reset token works once, retires the account's other reset tokens and advances the credential epoch")
    func resetIsSingleUse() async throws {
        try await self.withStores { stores in
            let id = try await self.addUser(stores, "bob")
            let first = MailToken.new(), second = MailToken.new()
            _ = try await stores.mail.requestPasswordReset(userID: id, token: first, ttl: 60)
            _ = try await stores.mail.requestPasswordReset(userID: id, token: second, ttl: 60)
            let before = try #require(try await stores.users.find(id: id))
            #expect(try await stores.mail.userOfToken(hash: second.hash, purpose: .passwordReset) == id)
            #expect(try await stores.mail.userOfToken(hash: second.hash, purpose: .emailVerification) == nil)
            let reset = try #require(try await stores.mail.resetPassword(tokenHash: second.hash, newPasswordHash: "new-hash"))
            #expect(reset.userID == id && reset.username == "bob" && reset.epoch == before.credentialEpoch + 1)
            let after = try #require(try await stores.users.find(id: id))
            #expect(after.passwordHash == "new-hash" && after.credentialEpoch == reset.epoch && after.emailVerified)
            #expect(try await stores.mail.resetPassword(tokenHash: second.hash, newPasswordHash: "again") == nil)
            #expect(try await stores.mail.resetPassword(tokenHash: first.hash, newPasswordHash: "again") == nil)
            #expect(try await stores.users.find(id: id)?.passwordHash == "new-hash")
            #expect(try await stores.outbox.claimDue(limit: 10, lease: 60).map(\.kind).sorted() == ["password_reset", "password_reset", "password_was_reset"])
        }
    }

    @Test("an expired token is refused and changes nothing")
    func expiredToken() async throws {
        try await self.withStores { stores in
            let id = try await self.addUser(stores, "carol")
            let token = MailToken.new()
            _ = try await stores.mail.requestPasswordReset(userID: id, token: token, ttl: 1)
            try await stores.client.query(#"UPDATE auth_mail_tokens SET "expiresAt" = now() - interval '1 second'"#, logger: storeLogger)
            #expect(try await stores.mail.resetPassword(tokenHash: token.hash, newPasswordHash: "x") == nil)
            #expect(try await stores.users.find(id: id)?.passwordHash == "hash-carol")
        }
    }

    @Test("concurrent claims never hand one mail to two replicas; a claimed mail waits for its lease")
    func claimsAreExclusive() async throws {
        try await self.withStores { stores in
            for index in 0..<30 {
                let id = try await self.addUser(stores, "user\(index)")
                try await stores.mail.queueNotice(.passwordChanged, userID: id)
            }
            let claims = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for _ in 0..<6 { group.addTask { try await stores.outbox.claimDue(limit: 4, lease: 60).map(\.id) } }
                var all: [[Int64]] = []
                for try await claimed in group { all.append(claimed) }
                return all
            }
            let ids = claims.flatMap { $0 }
            #expect(ids.count == 24 && Set(ids).count == 24, "\(claims)")
            #expect(try await stores.outbox.claimDue(limit: 100, lease: 60).count == 6)
            #expect(try await stores.outbox.claimDue(limit: 100, lease: 60).isEmpty, "every mail is held by its lease")
        }
    }

    @Test("sent mails are never claimed again and lose their token; a failure reschedules, a last one gives up")
    func outcomes() async throws {
        try await self.withStores { stores in
            for name in ["dan", "eve", "fay"] {
                _ = try await stores.mail.requestPasswordReset(userID: try await self.addUser(stores, name), token: .new(), ttl: 60)
            }
            let mails = try await stores.outbox.claimDue(limit: 10, lease: 0.2)
            #expect(mails.count == 3)
            try await stores.outbox.markSent([mails[0].id])
            #expect(try await stores.outbox.markUndelivered(mails[1], error: "421 busy", retryAfter: 0.1) == false)
            #expect(try await stores.outbox.markUndelivered(mails[2], error: "550 no such user", retryAfter: nil) == true)
            #expect(try await column(stores.client, "SELECT count(*)::text FROM auth_mail_outbox WHERE parameters ? 'token'") == ["1"])
            try await Task.sleep(for: .milliseconds(400))
            let again = try await stores.outbox.claimDue(limit: 10, lease: 60)
            #expect(again.map(\.id) == [mails[1].id] && again[0].attempts == 2)
            // The first claim's lease is over and the mail was claimed again: the old claim cannot reschedule it.
            #expect(try await stores.outbox.markUndelivered(mails[1], error: "late", retryAfter: 0) == false)
            #expect(try await column(stores.client, #"SELECT COALESCE("lastError", '') FROM auth_mail_outbox ORDER BY id"#) == ["", "421 busy", "550 no such user"])
        }
    }

    @Test("an address change sets the new address on confirmation only, and not when it was taken meanwhile")
    func emailChange() async throws {
        try await self.withStores { stores in
            let id = try await self.addUser(stores, "gus")
            let other = try await self.addUser(stores, "hal")
            let token = MailToken.new(), rival = MailToken.new()
            #expect(try await stores.mail.requestEmailChange(userID: id, newEmail: "new@example.org", newEmailKey: "new@example.org", token: token, ttl: 60))
            #expect(try await stores.mail.requestEmailChange(userID: other, newEmail: "New@example.org", newEmailKey: "new@example.org", token: rival, ttl: 60))
            #expect(try await stores.users.find(id: id)?.email == "gus@example.com")
            #expect(try await stores.mail.confirmEmail(tokenHash: token.hash) == .changed(userID: id, to: "new@example.org"))
            let changed = try #require(try await stores.users.find(id: id))
            #expect(changed.email == "new@example.org" && changed.emailVerified)
            await #expect(throws: UserConflict.self) { try await stores.mail.confirmEmail(tokenHash: rival.hash) }
            #expect(try await stores.users.find(id: other)?.email == "hal@example.com")
            #expect(try await stores.mail.userOfToken(hash: rival.hash, purpose: .emailChange) == other, "a refused change spends nothing")
            #expect(try await stores.mail.isEmailTaken(key: "new@example.org"))
        }
    }

    @Test("a verification link counts only while the account still has the address it was sent to")
    func verification() async throws {
        try await self.withStores { stores in
            let id = try await self.addUser(stores, "ivy")
            let stale = MailToken.new(), fresh = MailToken.new()
            #expect(try await stores.mail.requestVerification(userID: id, token: stale, ttl: 60) == .queued)
            #expect(try await stores.mail.requestEmailChange(userID: id, newEmail: "ivy@new.example", newEmailKey: "ivy@new.example", token: fresh, ttl: 60))
            #expect(try await stores.mail.confirmEmail(tokenHash: fresh.hash) == .changed(userID: id, to: "ivy@new.example"))
            #expect(try await stores.mail.confirmEmail(tokenHash: stale.hash) == .invalid)
            #expect(try await stores.mail.requestVerification(userID: id, token: .new(), ttl: 60) == .alreadyVerified)
            #expect(try await stores.mail.requestVerification(userID: 999_999, token: .new(), ttl: 60) == .noAccount)
        }
    }
}
