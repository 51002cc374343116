import Foundation
import Testing

/// One test at a time: each starts a system of its own (one also a PostgreSQL cluster), and on
/// two cores that load at once slows every other suite's timing.
@Suite("A stalled database loses no session and tells no lie", .serialized)
struct DatabaseStallTests {
    /// Short deadlines so that a stall of a few seconds outlasts them; a Redis database of its own,
    /// as user ids restart at 1 in every system's database.
    static var environment: [String: String] {
        get throws {
            [
                "DATABASE_TIMEOUT": "2", "DATABASE_WRITE_MARGIN": "1", "REFRESH_REUSE_GRACE": "0",
                "REDIS_URL": try TestEnvironment.require("TEST_REDIS_URL") + "/7",
            ]
        }
    }

    @Test("PostgreSQL frozen while refresh, signup, signin and readiness are asked (about 8 s): each answers 503 within the 2 s deadline; once it resumes, nothing they were refused happens and the session lives")
    func stalledPostgres() async throws {
        let postgres = try await PostgresServer()
        do {
            try await RunningSystem.with(databaseURL: postgres.url, environment: try Self.environment) { system in
                let user = try await system.account()
                let newcomer = RunningSystem.uniqueName("late")

                try await postgres.pause()
                let frozenAt = ContinuousClock.now
                // One after the other, each within the stall: what is measured is the auth service's
                // deadline, not how the gateway interleaves concurrent uploads.
                let answers = [
                    ("refresh", try await self.timed { try await system.call(.POST, "/api/auth/refreshtoken", json: RunningSystem.json(["refreshToken": user.refreshToken])) }),
                    ("signup", try await self.timed { try await system.signup(newcomer) }),
                    ("signin", try await self.timed { try await system.signin(user.username, password: user.password) }),
                ]
                for (name, (reply, took)) in answers {
                    #expect(reply.status == 503, "\(name): \(reply.status) \(reply.body) after \(took)")
                    #expect(reply.message == "Service temporarily unavailable", "\(name)")
                    #expect(took < .milliseconds(4500), "\(name) took \(took)")
                }
                let (readiness, readinessTook) = try await self.timed {
                    try await system.send(.GET, url: "http://127.0.0.1:\(system.ports.auth)/health/ready")
                }
                #expect(readiness.status == 503)
                #expect(readinessTook < .milliseconds(4500))
                #expect(ContinuousClock.now - frozenAt > .seconds(6), "the stall outlasted every deadline")

                // What the server received during the stall runs now; none of it may change anything.
                try await postgres.resume()
                try await self.waitUntilReady(system)

                // The refused signup created nothing: the name is still free.
                #expect(try await system.signin(newcomer).status == 401)
                #expect(try await system.signup(newcomer).status == 200)
                // The refused refresh spent nothing: the token rotates as a live one, not as a replay.
                let after = try await system.call(.POST, "/api/auth/refreshtoken", json: RunningSystem.json(["refreshToken": user.refreshToken]))
                #expect(after.status == 200, "\(after.body)")
                #expect(try await system.authCounter("auth_refreshes_total", outcome: "rotated") == 1)
                #expect(try await system.authCounter("auth_refreshes_total", outcome: "successor_replay") == 0)
                #expect(try await system.signin(user.username, password: user.password).status == 200)
            }
        } catch {
            await postgres.stop()
            throw error
        }
        await postgres.stop()
    }

    @Test("Redis frozen: refresh and signin answer 503 within about a second, and the same refresh token works once it is back")
    func stalledRedis() async throws {
        let redis = try await RedisServer()
        do {
            try await RunningSystem.with(environment: ["REDIS_URL": redis.url]) { system in
                let user = try await system.account()
                await redis.pause()
                let (refresh, refreshTook) = try await self.timed {
                    try await system.call(.POST, "/api/auth/refreshtoken", json: RunningSystem.json(["refreshToken": user.refreshToken]))
                }
                let (signin, signinTook) = try await self.timed { try await system.signin(user.username, password: user.password) }
                await redis.resume()
                #expect(refresh.status == 503)
                #expect(signin.status == 503)
                #expect(refreshTook < .seconds(3), "refresh took \(refreshTook)")
                #expect(signinTook < .seconds(3), "signin took \(signinTook)")

                var after = try await system.call(.POST, "/api/auth/refreshtoken", json: RunningSystem.json(["refreshToken": user.refreshToken]))
                let deadline = ContinuousClock.now + .seconds(10)
                while after.status == 503, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(200))
                    after = try await system.call(.POST, "/api/auth/refreshtoken", json: RunningSystem.json(["refreshToken": user.refreshToken]))
                }
                #expect(after.status == 200, "\(after.body)")
                #expect(try await system.authCounter("auth_refreshes_total", outcome: "reuse_detected") == 0)
            }
        } catch {
            await redis.kill()
            throw error
        }
        await redis.kill()
    }

    private func timed(_ call: () async throws -> RunningSystem.Reply) async throws -> (RunningSystem.Reply, Duration) {
        let started = ContinuousClock.now
        let reply = try await call()
        return (reply, ContinuousClock.now - started)
    }

    private func waitUntilReady(_ system: RunningSystem) async throws {
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            if let reply = try? await system.send(.GET, url: "http://127.0.0.1:\(system.ports.auth)/health/ready"), reply.status == 200 { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("the auth service did not become ready after PostgreSQL resumed")
    }
}
