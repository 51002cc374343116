import Testing

@Suite("Upstream failure")
struct UpstreamFailureTests {
    @Test("a service that is down gives a quick 503 JSON error and the other routes keep working")
    func contentServiceDown() async throws {
        try await RunningSystem.with { system in
            let user = try await system.account()
            await system.content.stop()
            let started = ContinuousClock.now
            let reply = try await system.call(.GET, "/api/test/user", headers: [("x-access-token", user.accessToken)])
            let elapsed = ContinuousClock.now - started
            #expect(reply.status == 503)
            #expect(reply.message == "Service temporarily unavailable")
            #expect(elapsed < .seconds(5), "took \(elapsed)")
            let signin = try await system.signin(user.username)
            #expect(signin.status == 200)
        }
    }
}
