import Foundation
import Testing

@Suite("Session lifetimes and reuse detection")
struct SessionLifetimeTests {
    @Test("reuse after the grace window revokes the whole session, its access tokens included; an idle token expires")
    func reuseAndIdle() async throws {
        let redisURL = try TestEnvironment.require("TEST_REDIS_URL") + "/3"
        try await RunningSystem.with(environment: ["REFRESH_REUSE_GRACE": "1", "REFRESH_IDLE_TTL": "3", "REDIS_URL": redisURL]) { system in
            let user = try await system.account()
            let rotated = try await system.call(.POST, "/api/auth/refreshtoken", json: RunningSystem.json(["refreshToken": user.refreshToken]))
            #expect(rotated.status == 200)
            // The client uses its new token, so a replay of the old one is no lost answer but reuse.
            let used = try await system.call(.POST, "/api/auth/refreshtoken", json: RunningSystem.json(["refreshToken": try rotated.string("refreshToken")]))
            #expect(used.status == 200)
            let currentRefresh = try used.string("refreshToken")
            let currentAccess = try used.string("accessToken")
            try await Task.sleep(for: .milliseconds(2100))

            let reuse = try await system.call(.POST, "/api/auth/refreshtoken", json: RunningSystem.json(["refreshToken": user.refreshToken]))
            #expect(reuse.status == 403)
            #expect(reuse.message?.contains("already used") == true)
            let afterReuse = try await system.call(.POST, "/api/auth/refreshtoken", json: RunningSystem.json(["refreshToken": currentRefresh]))
            #expect(afterReuse.status == 403)
            for token in [user.accessToken, currentAccess] {
                let content = try await system.call(.GET, "/api/test/user", headers: [("x-access-token", token)])
                #expect(content.status == 401)
            }

            let idle = try await system.account()
            try await Task.sleep(for: .milliseconds(3200))
            let expired = try await system.call(.POST, "/api/auth/refreshtoken", json: RunningSystem.json(["refreshToken": idle.refreshToken]))
            #expect(expired.status == 403)
            #expect(expired.message == "Refresh token was expired. Please make a new signin request")
        }
    }
}
