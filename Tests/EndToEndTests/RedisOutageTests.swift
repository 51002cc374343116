import Foundation
import Testing

@Suite("Redis outage")
struct RedisOutageTests {
    @Test("with Redis down protected routes fail closed with 503 within about a second, public ones keep working; all recovers when Redis is back")
    func failClosedThenRecover() async throws {
        let redis = try await RedisServer()
        try await RunningSystem.with(environment: ["REDIS_URL": redis.url]) { system in
            let user = try await system.account()
            let headers = [("x-access-token", user.accessToken)]
            #expect(try await system.call(.GET, "/api/test/user", headers: headers).status == 200)

            await redis.kill()
            // The gateway trusts its copy of the revocation record for REVOCATION_MAX_LAG (1 s) after
            // Redis last answered, then refuses protected routes at once until it hears again.
            let stopped = ContinuousClock.now
            var refused = try await system.call(.GET, "/api/test/user", headers: headers)
            while refused.status == 200, ContinuousClock.now - stopped < .seconds(3) {
                try await Task.sleep(for: .milliseconds(50))
                refused = try await system.call(.GET, "/api/test/user", headers: headers)
            }
            #expect(refused.status == 503)
            #expect(refused.message == "Service temporarily unavailable")
            #expect(ContinuousClock.now - stopped < .seconds(2))
            let publicContent = try await system.call(.GET, "/api/test/all")
            #expect(publicContent.status == 200)

            try await redis.start()
            var recovered = false
            let deadline = ContinuousClock.now + .seconds(10)
            while !recovered, ContinuousClock.now < deadline {
                recovered = try await system.call(.GET, "/api/test/user", headers: headers).status == 200
                if !recovered { try await Task.sleep(for: .milliseconds(200)) }
            }
            #expect(recovered)
            // The session survived the restart (AOF): the refresh token still rotates.
            let refresh = try await system.call(.POST, "/api/auth/refreshtoken", json: RunningSystem.json(["refreshToken": user.refreshToken]))
            #expect(refresh.status == 200)
        }
        await redis.kill()
    }
}
