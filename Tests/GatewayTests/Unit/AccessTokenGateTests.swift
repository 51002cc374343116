@testable import Gateway
import Common
import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
import TestSupport

@Suite("The access-token gate on protected routes, on one event loop's state")
struct AccessTokenGateTests {
    let mint: TokenMint
    let gate = AccessTokenGate(rules: AccessTokenRules(issuer: testIssuer, audience: testAudience, leeway: 30))
    let now = NIODeadline.uptimeNanoseconds(5_000_000_000)

    init() throws {
        self.mint = try TokenMint()
    }

    /// A loop state holding the mint's keys and a revocation copy heard from at `now` (unless `current` is false).
    private func state(current: Bool = true, revoked: [RevocationEntry] = []) async throws -> EventLoopState {
        let loop = EmbeddedEventLoop()
        let address = try #require(UpstreamAddress(url: closedURL))
        let state = EventLoopState(
            eventLoop: loop, revocations: RevocationView(maxLag: .seconds(1)),
            upstreams: UpstreamPools(
                auth: UpstreamPool(address: address, eventLoop: loop, connectTimeout: .seconds(1), maxIdle: 1),
                content: UpstreamPool(address: address, eventLoop: loop, connectTimeout: .seconds(1), maxIdle: 1)
            )
        )
        state.keys = try await self.mint.keySet()
        if current {
            state.revocations.replace(with: revoked.enumerated().map { (StreamID(milliseconds: UInt64($0.offset + 1), sequence: 0), $0.element) }, heardAt: self.now)
        }
        return state
    }

    private func check(_ headers: [(String, String)], state: EventLoopState, at wallClock: Double = Date().timeIntervalSince1970, now: NIODeadline? = nil) -> AccessTokenGate.Verdict {
        let token = RequestHeaderFacts(.parsed(headers)).credential.token
        return self.gate.check(token: token, state: state, wallClock: wallClock, now: now ?? self.now)
    }

    private func refusal(_ verdict: AccessTokenGate.Verdict) -> APIError? {
        if case .refuse(let error) = verdict { return error }
        return nil
    }

    @Test("no token is 403 No token provided!, even while the revocation copy is stale")
    func noToken() async throws {
        for current in [true, false] {
            let state = try await self.state(current: current)
            #expect(self.refusal(self.check([], state: state)) == .noToken)
            #expect(self.refusal(self.check([("authorization", "Basic dXNlcjpwdw==")], state: state)) == .noToken)
            #expect(self.refusal(self.check([("authorization", "Bearer ")], state: state)) == .noToken)
        }
    }

    @Test("a malformed or tampered token is 401 Unauthorized!, even while the copy is stale")
    func badTokens() async throws {
        let token = try await self.mint.token()
        let parts = token.split(separator: ".")
        let tampered = [String(parts[0]), Base64URL.encode(Data(#"{"sub":"1","id":1}"#.utf8)), String(parts[2])].joined(separator: ".")
        for current in [true, false] {
            let state = try await self.state(current: current)
            for bad in ["garbage", "a.b.c", tampered, token + "x"] {
                #expect(self.refusal(self.check([("x-access-token", bad)], state: state)) == .unauthorized, "\(bad)")
            }
        }
    }

    @Test("a valid token passes with its claims, from x-access-token or Authorization: Bearer")
    func validToken() async throws {
        let claims = self.mint.claims()
        let token = try await self.mint.sign(claims)
        let state = try await self.state()
        for headers in [[("x-access-token", token)], [("authorization", "Bearer \(token)")], [("authorization", "bearer \(token)")]] {
            guard case .pass(let passed) = self.check(headers, state: state) else {
                Issue.record("refused: \(headers)")
                continue
            }
            #expect(passed == claims)
        }
    }

    @Test("an expired token is 401 with the contract's expired message")
    func expired() async throws {
        let token = try await self.mint.token(issuedAt: Date().addingTimeInterval(-3_600), lifetime: 600)
        #expect(self.refusal(self.check([("x-access-token", token)], state: try await self.state())) == .tokenExpired)
    }

    @Test("a token verified once and cached is still refused as expired once its time is up")
    func cacheHitExpires() async throws {
        let issued = Date()
        let token = try await self.mint.token(issuedAt: issued, lifetime: 60)
        let state = try await self.state()
        guard case .pass = self.check([("x-access-token", token)], state: state, at: issued.timeIntervalSince1970) else {
            Issue.record("a fresh token was refused")
            return
        }
        #expect(state.verifiedTokens.count == 1)
        #expect(self.refusal(self.check([("x-access-token", token)], state: state, at: issued.timeIntervalSince1970 + 60 + 31)) == .tokenExpired)
    }

    @Test("a token signed with a key this loop does not know asks for the JWKS again")
    func unknownKey() async throws {
        let foreign = try await TokenMint().token()
        guard case .unknownKey = self.check([("x-access-token", foreign)], state: try await self.state()) else {
            Issue.record("a token of an unknown kid was not reported as such")
            return
        }
    }

    @Test("a valid token is 503 while the revocation copy is not known to be current (fail closed)")
    func staleCopy() async throws {
        let token = try await self.mint.token()
        let never = try await self.state(current: false)
        #expect(self.refusal(self.check([("x-access-token", token)], state: never)) == .serviceUnavailable)
        let heard = try await self.state()
        #expect(self.refusal(self.check([("x-access-token", token)], state: heard, now: self.now + .seconds(1) + .milliseconds(1))) == .serviceUnavailable)
        guard case .pass = self.check([("x-access-token", token)], state: heard, now: self.now + .seconds(1)) else {
            Issue.record("refused within the lag bound")
            return
        }
    }

    @Test("a token revoked by jti, session or user cut-off is 401 Unauthorized!")
    func revoked() async throws {
        let claims = self.mint.claims()
        let token = try await self.mint.sign(claims)
        let later = Int64(Date().timeIntervalSince1970 * 1000) + 1_000
        for entry in [
            RevocationEntry.revoking(.token, claims.jti), .revoking(.session, claims.sid), .revoking(.user, claims.sub, cutoff: later),
        ] {
            #expect(self.refusal(self.check([("x-access-token", token)], state: try await self.state(revoked: [entry]))) == .unauthorized)
        }
        guard case .pass = self.check([("x-access-token", token)], state: try await self.state(revoked: [.revoking(.session, "another")])) else {
            Issue.record("an unrelated revocation refused the token")
            return
        }
    }

    @Test("the token is read alike from x-access-token and Bearer, whitespace around it dropped; two different ones conflict")
    func credentialReading() {
        func credential(_ headers: [(String, String)]) -> RequestCredential { RequestHeaderFacts(.parsed(headers)).credential }
        #expect(credential([("X-Access-Token", "a")]) == .token("a"))
        #expect(credential([("x-access-token", " a \t")]) == .token("a"))
        #expect(credential([("Authorization", "bearer  c ")]) == .token("c"))
        #expect(credential([("Authorization", "\tBearer c\t")]) == .token("c"))
        #expect(credential([("x-access-token", ""), ("authorization", "Bearer b")]) == .token("b"))
        #expect(credential([("x-access-token", "  "), ("authorization", "Bearer b")]) == .token("b"))
        #expect(credential([("x-access-token", "a"), ("authorization", "Bearer a ")]) == .token("a"))
        #expect(credential([("authorization", "Bearer b"), ("X-Access-Token", "a")]) == .conflicting)
        #expect(credential([("x-access-token", "a"), ("authorization", "Basic dXNlcg==")]) == .token("a"))
        #expect(credential([("authorization", "Token c")]) == .none)
        #expect(credential([]) == .none)
    }
}
