import Common
import Testing

@Suite("The revocation rule every holder of the record applies")
struct RevocationRuleTests {
    /// Issued at 1,000 s (`jti` is no UUIDv7, so `iat` dates it), under `epoch`.
    private func claims(epoch: Int?) -> AccessTokenClaims {
        AccessTokenClaims(iss: "i", aud: "a", id: 7, roles: ["user"], sid: "s", jti: "j", iat: 1_000, exp: 2_000, epoch: epoch)
    }

    private func facts(token: Bool = false, session: Bool = false, cutoff: Int64? = nil, floor: Int? = nil) -> RevocationFacts {
        RevocationFacts(tokenDenylisted: token, sessionDenylisted: session, userCutoffMilliseconds: cutoff, epochFloor: floor)
    }

    @Test("each fact alone revokes; what the record does not say never does")
    func eachFact() {
        let token = self.claims(epoch: 5)
        #expect(!token.isRevoked(by: self.facts()))
        #expect(token.isRevoked(by: self.facts(token: true)))
        #expect(token.isRevoked(by: self.facts(session: true)))
        #expect(token.isRevoked(by: self.facts(cutoff: 1_000_001)))
        #expect(!token.isRevoked(by: self.facts(cutoff: 1_000_000)), "issued at the cut-off itself: not before it")
        #expect(token.isRevoked(by: self.facts(floor: 6)))
        #expect(!token.isRevoked(by: self.facts(floor: 5)), "the floor's own epoch is current")
    }

    @Test("a token from before epochs is judged by the rest: no floor revokes it, a cut-off does")
    func tokenWithoutEpoch() {
        let token = self.claims(epoch: nil)
        #expect(!token.isRevoked(by: self.facts(floor: 99)))
        #expect(token.isRevoked(by: self.facts(cutoff: 2_000_000)))
    }
}
