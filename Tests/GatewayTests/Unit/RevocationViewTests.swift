@testable import Gateway
import Common
import NIOCore
import NIOEmbedded
import Testing

@Suite("One event loop's copy of the revocation record")
struct RevocationViewTests {
    static let maxLag = TimeAmount.seconds(1)
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    /// A second boundary plus 500 ms, in Unix milliseconds.
    static let cutoff: Int64 = 1_750_000_000_500

    private func view(_ entries: [(StreamID, RevocationEntry?)] = []) -> RevocationView {
        let view = RevocationView(maxLag: Self.maxLag)
        view.replace(with: entries, heardAt: Self.start)
        return view
    }

    private func id(_ milliseconds: UInt64) -> StreamID { StreamID(milliseconds: milliseconds, sequence: 0) }

    private func entry(
        _ kind: RevocationEntry.Kind, _ subject: String, cutoff: Int64 = 0, epoch: Int = 0, forget: Int64 = .max
    ) -> RevocationEntry {
        RevocationEntry(kind: kind, subject: subject, cutoff: cutoff, epoch: epoch, forget: forget)
    }

    /// A token of user 7 issued at `milliseconds`, its jti a UUIDv7 (or `jti` when given).
    private func claims(issuedAt milliseconds: Int64, jti: String? = nil, sid: String = "s-1", epoch: Int? = nil) -> AccessTokenClaims {
        let seconds = Int(milliseconds / 1000)
        return AccessTokenClaims(
            iss: "i", aud: "a", id: 7, roles: ["user"], sid: sid, jti: jti ?? UUIDv7.make(milliseconds: milliseconds),
            iat: seconds, exp: seconds + 900, epoch: epoch
        )
    }

    @Test("a revoked jti refuses that token and no other")
    func tokenRevoked() {
        let revoked = self.claims(issuedAt: Self.cutoff)
        let view = self.view([(self.id(1), self.entry(.token, revoked.jti))])
        #expect(view.isRevoked(revoked))
        #expect(!view.isRevoked(self.claims(issuedAt: Self.cutoff)))
    }

    @Test("a revoked session refuses every token of it")
    func sessionRevoked() {
        let view = self.view([(self.id(1), self.entry(.session, "s-9"))])
        #expect(view.isRevoked(self.claims(issuedAt: Self.cutoff, sid: "s-9")))
        #expect(view.isRevoked(self.claims(issuedAt: Self.cutoff + 60_000, sid: "s-9")))
        #expect(!view.isRevoked(self.claims(issuedAt: Self.cutoff, sid: "s-1")))
    }

    @Test("a user cut-off refuses tokens issued before it, to the millisecond the UUIDv7 jti carries")
    func userCutoffInMilliseconds() {
        let view = self.view([(self.id(1), self.entry(.user, "7", cutoff: Self.cutoff))])
        #expect(view.isRevoked(self.claims(issuedAt: Self.cutoff - 1)))
        // Same second as the cut-off, but after it: iat * 1000 alone would refuse these.
        #expect(!view.isRevoked(self.claims(issuedAt: Self.cutoff)))
        #expect(!view.isRevoked(self.claims(issuedAt: Self.cutoff + 1)))
        let otherUser = AccessTokenClaims(iss: "i", aud: "a", id: 8, roles: [], sid: "s", jti: UUIDv7.make(milliseconds: 0), iat: 0, exp: 900)
        #expect(!view.isRevoked(otherUser))
    }

    @Test("a jti that is not a UUIDv7 falls back to iat in whole seconds")
    func cutoffFallsBackToIssuedAt() {
        let legacy = self.claims(issuedAt: Self.cutoff + 400, jti: "not-a-uuid-v7")
        #expect(legacy.issuedAtMilliseconds == Self.cutoff - 500)
        #expect(self.view([(self.id(1), self.entry(.user, "7", cutoff: Self.cutoff - 499))]).isRevoked(legacy))
        #expect(!self.view([(self.id(1), self.entry(.user, "7", cutoff: Self.cutoff - 500))]).isRevoked(legacy))
    }

    @Test("a user's cut-off only moves forward")
    func cutoffOnlyForward() {
        let view = self.view([(self.id(1), self.entry(.user, "7", cutoff: Self.cutoff))])
        view.apply([(self.id(2), self.entry(.user, "7", cutoff: Self.cutoff - 10_000))], heardAt: Self.start)
        #expect(view.isRevoked(self.claims(issuedAt: Self.cutoff - 5_000)))
        view.apply([(self.id(3), self.entry(.user, "7", cutoff: Self.cutoff + 10_000))], heardAt: Self.start)
        #expect(view.isRevoked(self.claims(issuedAt: Self.cutoff + 5_000)))
    }

    @Test("a user's epoch floor refuses tokens of a lower epoch of its lineage however late they were issued; not those at it or above")
    func epochFloor() {
        let lineage = 5 << CredentialEpoch.counterBits
        let view = self.view([(self.id(1), self.entry(.user, "7", cutoff: Self.cutoff, epoch: lineage + 3))])
        let late = Self.cutoff + 60_000
        #expect(view.isRevoked(self.claims(issuedAt: late, epoch: lineage + 2)))
        #expect(!view.isRevoked(self.claims(issuedAt: late, epoch: lineage + 3)))
        #expect(!view.isRevoked(self.claims(issuedAt: late, epoch: lineage + 4)))
        #expect(view.isRevoked(self.claims(issuedAt: Self.cutoff - 1, epoch: lineage + 3)))
        // A token from before epochs: only the time cut-off applies.
        #expect(!view.isRevoked(self.claims(issuedAt: late, epoch: nil)))
    }

    @Test("a floor compares only within its lineage: another account with the same id (another database on the same Redis) is untouched")
    func epochFloorKeepsToItsLineage() {
        let mine = 5 << CredentialEpoch.counterBits
        let theirs = 6 << CredentialEpoch.counterBits
        let view = self.view([(self.id(1), self.entry(.user, "7", epoch: theirs + 9))])
        #expect(!view.isRevoked(self.claims(issuedAt: Self.cutoff, epoch: mine)))
        #expect(view.isRevoked(self.claims(issuedAt: Self.cutoff, epoch: theirs + 8)))
    }

    @Test("a user's time cut-off and epoch floor each only move forward, whatever order two changes' entries arrive in")
    func epochAndTimeMoveForwardApart() {
        let view = self.view([(self.id(1), self.entry(.user, "7", cutoff: Self.cutoff, epoch: 5))])
        view.apply([(self.id(2), self.entry(.user, "7", cutoff: Self.cutoff + 10_000, epoch: 4))], heardAt: Self.start)
        #expect(view.isRevoked(self.claims(issuedAt: Self.cutoff + 20_000, epoch: 4)))
        #expect(view.isRevoked(self.claims(issuedAt: Self.cutoff + 5_000, epoch: 5)))
        #expect(!view.isRevoked(self.claims(issuedAt: Self.cutoff + 20_000, epoch: 5)))
    }

    @Test("an entry's fields carry its epoch; one written without (an earlier auth service) reads as epoch 0")
    func entryFieldsCarryTheEpoch() {
        let written = self.entry(.user, "7", cutoff: Self.cutoff, epoch: 9, forget: 1)
        #expect(RevocationEntry(fields: written.fields.map { $0 }) == written)
        let earlier: [String?] = ["k", "uid", "s", "7", "c", String(Self.cutoff), "f", "1"]
        #expect(RevocationEntry(fields: earlier)?.epoch == 0)
    }

    @Test("entries at or before the position are not applied again; an entry of another kind still moves it")
    func positionOrder() {
        let view = self.view([(self.id(5), nil)])
        #expect(view.position == self.id(5))
        view.apply([(self.id(5), self.entry(.session, "s-1")), (self.id(4), self.entry(.session, "s-1"))], heardAt: Self.start)
        #expect(!view.isRevoked(self.claims(issuedAt: Self.cutoff)))
        #expect(view.position == self.id(5))
        view.apply([(StreamID(milliseconds: 5, sequence: 1), self.entry(.session, "s-1"))], heardAt: Self.start)
        #expect(view.isRevoked(self.claims(issuedAt: Self.cutoff)))
    }

    @Test("forget(before:) drops what can no longer match a valid token and keeps the rest")
    func forgetting() {
        let view = self.view([
            (self.id(1), self.entry(.token, "j-old", forget: 1_000)),
            (self.id(2), self.entry(.session, "s-1", forget: 3_000)),
            (self.id(3), self.entry(.user, "7", cutoff: Self.cutoff, forget: 2_000)),
        ])
        #expect(view.count == 3)
        view.forget(before: 2_000)
        #expect(view.count == 1)
        #expect(view.isRevoked(self.claims(issuedAt: Self.cutoff + 1, sid: "s-1")))
        #expect(!view.isRevoked(self.claims(issuedAt: Self.cutoff - 1, sid: "s-2")))
    }

    @Test("the copy is current only once loaded, and for maxLag after the feed last heard from Redis")
    func currency() {
        let fresh = RevocationView(maxLag: Self.maxLag)
        #expect(!fresh.isCurrent(now: Self.start))
        let view = self.view()
        #expect(view.isCurrent(now: Self.start))
        #expect(view.isCurrent(now: Self.start + Self.maxLag))
        #expect(!view.isCurrent(now: Self.start + Self.maxLag + .nanoseconds(1)))
        view.heard(at: Self.start + .seconds(5))
        #expect(view.isCurrent(now: Self.start + .seconds(6)))
        view.apply([], heardAt: Self.start + .seconds(10))
        #expect(view.isCurrent(now: Self.start + .seconds(11)))
    }

    @Test("replace() keeps only what the new load holds, and starts over from its positions")
    func replacing() {
        let view = self.view([(self.id(10), self.entry(.session, "s-1"))])
        view.replace(with: [(self.id(3), self.entry(.session, "s-2"))], heardAt: Self.start)
        #expect(!view.isRevoked(self.claims(issuedAt: Self.cutoff, sid: "s-1")))
        #expect(view.isRevoked(self.claims(issuedAt: Self.cutoff, sid: "s-2")))
        #expect(view.position == self.id(3))
    }

    @Test("whenApplied resumes at once when the position is applied already")
    func whenAppliedAtOnce() {
        let loop = EmbeddedEventLoop()
        let view = self.view([(self.id(5), nil)])
        var resumed = 0
        view.whenApplied(self.id(5), timeout: .seconds(1), on: loop) { resumed += 1 }
        #expect(resumed == 1)
        loop.advanceTime(by: .seconds(2))
        #expect(resumed == 1)
    }

    @Test("whenApplied resumes when an entry at or past the position is applied, not before, and once")
    func whenAppliedOnApply() {
        let loop = EmbeddedEventLoop()
        let view = self.view()
        var resumed = 0
        view.whenApplied(self.id(5), timeout: .seconds(1), on: loop) { resumed += 1 }
        view.apply([(self.id(4), nil)], heardAt: Self.start)
        #expect(resumed == 0)
        view.apply([(self.id(6), nil)], heardAt: Self.start)
        #expect(resumed == 1)
        loop.advanceTime(by: .seconds(2))
        view.apply([(self.id(7), nil)], heardAt: Self.start)
        #expect(resumed == 1)
    }

    @Test("whenApplied resumes after the timeout when the position never comes, and once")
    func whenAppliedTimesOut() {
        let loop = EmbeddedEventLoop()
        let view = self.view()
        var resumed = 0
        view.whenApplied(self.id(5), timeout: .milliseconds(500), on: loop) { resumed += 1 }
        loop.advanceTime(by: .milliseconds(499))
        #expect(resumed == 0)
        loop.advanceTime(by: .milliseconds(1))
        #expect(resumed == 1)
        view.apply([(self.id(6), nil)], heardAt: Self.start)
        #expect(resumed == 1)
    }
}
