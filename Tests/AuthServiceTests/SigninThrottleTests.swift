@testable import AuthService
import Common
import HummingbirdTesting
import Testing

@Suite("Failed signins back off per account, whoever the account is")
struct SigninThrottleTests {
    @Test("after the free failures the next attempt is 429 with Retry-After, even with the right password")
    func locksAfterFreeFailures() async throws {
        let fixture = try AuthFixture(throttlePolicy: SigninThrottlePolicy(freeFailures: 3, maximumLock: 900))
        try await fixture.addUser("alice")
        try await fixture.application().test(.router) { client throws in
            for _ in 0..<3 {
                #expect(try await client.signin("alice", password: "wrong").status == .unauthorized)
            }
            let locked = try await client.signin("alice")
            #expect(locked.status == .tooManyRequests)
            #expect(locked.headers[.retryAfter] == "1")
            #expect(locked.message?.isEmpty == false)

            fixture.clock.advance(by: 1)
            #expect(try await client.signin("alice").status == .ok)
        }
    }

    @Test("each failure past the free ones doubles the lock, up to the maximum")
    func lockDoubles() {
        let policy = SigninThrottlePolicy(freeFailures: 5, maximumLock: 900)
        #expect((1...4).map(policy.lock(afterFailures:)) == [0, 0, 0, 0])
        #expect((5...9).map(policy.lock(afterFailures:)) == [1, 2, 4, 8, 16])
        #expect(policy.lock(afterFailures: 15) == 900)
        #expect(policy.lock(afterFailures: 1_000) == 900)
    }

    @Test("an unknown name is throttled exactly like a real one, and names ignore case")
    func unknownNamesLookTheSame() async throws {
        let fixture = try AuthFixture(throttlePolicy: SigninThrottlePolicy(freeFailures: 2, maximumLock: 900))
        try await fixture.addUser("alice")
        try await fixture.application().test(.router) { client throws in
            for name in ["alice", "ghost"] {
                #expect(try await client.signin(name, password: "wrong").status == .unauthorized)
                #expect(try await client.signin(name.uppercased(), password: "wrong").status == .unauthorized)
            }
            let real = try await client.signin("alice", password: "wrong")
            let ghost = try await client.signin("ghost", password: "wrong")
            #expect(real.status == .tooManyRequests)
            #expect(real.text == ghost.text)
            #expect(real.headers[.retryAfter] == ghost.headers[.retryAfter])
        }
    }

    @Test("a success clears the failure count")
    func successResets() async throws {
        let fixture = try AuthFixture(throttlePolicy: SigninThrottlePolicy(freeFailures: 3, maximumLock: 900))
        try await fixture.addUser("alice")
        try await fixture.application().test(.router) { client throws in
            for _ in 0..<2 {
                #expect(try await client.signin("alice", password: "wrong").status == .unauthorized)
            }
            #expect(try await client.signin("alice").status == .ok)
            for _ in 0..<2 {
                #expect(try await client.signin("alice", password: "wrong").status == .unauthorized)
            }
            #expect(try await client.signin("alice").status == .ok)
        }
    }
}
