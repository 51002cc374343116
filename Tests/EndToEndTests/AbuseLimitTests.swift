import Foundation
import Testing

@Suite("Rate limits and lockout")
struct AbuseLimitTests {
    @Test("signups over the per-address limit get 429 with Retry-After")
    func perAddressLimit() async throws {
        let redisURL = try TestEnvironment.require("TEST_REDIS_URL") + "/4"
        try await RunningSystem.with(environment: ["RATE_LIMIT_SIGNUP": "3", "REDIS_URL": redisURL]) { system in
            for _ in 0..<3 {
                #expect(try await system.signup(RunningSystem.uniqueName()).status == 200)
            }
            let limited = try await system.signup(RunningSystem.uniqueName())
            #expect(limited.status == 429)
            let retryAfter = try #require(limited.headers.first(name: "retry-after").flatMap(Int.init))
            #expect(limited.message == "Too many requests, try again in \(retryAfter) seconds.")
            #expect((1...60).contains(retryAfter))
            // Other actions have their own budget.
            #expect(try await system.call(.GET, "/api/test/all").status == 200)
        }
    }

    @Test("failed signins lock the account with growing back-off, even for the right password, then it opens again")
    func accountLockout() async throws {
        let redisURL = try TestEnvironment.require("TEST_REDIS_URL") + "/5"
        try await RunningSystem.with(environment: ["SIGNIN_FREE_FAILURES": "2", "REDIS_URL": redisURL]) { system in
            let user = try await system.account()
            #expect(try await system.signin(user.username, password: "wrong-1").status == 401)
            #expect(try await system.signin(user.username, password: "wrong-2").status == 401)
            let locked = try await system.signin(user.username, password: user.password)
            #expect(locked.status == 429)
            let retryAfter = try #require(locked.headers.first(name: "retry-after").flatMap(Int.init))
            #expect(retryAfter >= 1)
            // An unknown name is throttled the same way, so the lock reveals nothing.
            let ghost = RunningSystem.uniqueName()
            _ = try await system.signin(ghost, password: "x-1")
            _ = try await system.signin(ghost, password: "x-2")
            #expect(try await system.signin(ghost, password: "x-3").status == 429)

            try await Task.sleep(for: .seconds(retryAfter) + .milliseconds(200))
            #expect(try await system.signin(user.username, password: user.password).status == 200)
        }
    }
}
