import Foundation
import Testing

/// With no grace window, any replay a second later is past it. A Redis database of its own: user
/// ids restart at 1 in every system's database, and another suite's global signout of "user 2"
/// must not end these sessions. One system for both tests, one after the other, since they read
/// its counters.
@Suite(
    "The tutorial's refresh clients, which keep their signin token, stay signed in; rotating clients keep reuse detection",
    .serialized,
    .sharedSystem(environment: { ["REFRESH_REUSE_GRACE": "0", "REDIS_URL": try TestEnvironment.require("TEST_REDIS_URL") + "/6"] })
)
struct RefreshReplayTests {
    private func refresh(_ system: RunningSystem, _ token: String) async throws -> RunningSystem.Reply {
        try await system.call(.POST, "/api/auth/refreshtoken", json: RunningSystem.json(["refreshToken": token]))
    }

    private func counter(_ system: RunningSystem, _ outcome: String) async throws -> Int {
        try await system.authCounter("auth_refreshes_total", outcome: outcome)
    }

    @Test("a client that sends its signin token at every refresh gets the same successor and a working access token each time")
    func clientKeepingItsSigninToken() async throws {
        let system = try SharedSystem.get()
        let (replaysBefore, reuseBefore) = (try await self.counter(system, "successor_replay"), try await self.counter(system, "reuse_detected"))
        let user = try await system.account()
        var successors = Set<String>()
        var accessTokens = Set<String>()
        for _ in 0..<4 {
            let reply = try await self.refresh(system, user.refreshToken)
            try #require(reply.status == 200, "\(reply.body)")
            successors.insert(try reply.string("refreshToken"))
            let accessToken = try reply.string("accessToken")
            accessTokens.insert(accessToken)
            #expect(try await system.call(.GET, "/api/test/user", headers: [("x-access-token", accessToken)]).status == 200)
            // Past the (zero) grace window, so the next replay is the GoTrue case, not a grace replay.
            try await Task.sleep(for: .milliseconds(1100))
        }
        #expect(successors.count == 1)
        #expect(accessTokens.count == 4)
        #expect(try await self.counter(system, "successor_replay") - replaysBefore == 3)
        #expect(try await self.counter(system, "reuse_detected") - reuseBefore == 0)
    }

    @Test("a client that rotates: once it used its new token, a replay of the old one is reuse and ends the session")
    func rotatingClientKeepsReuseDetection() async throws {
        let system = try SharedSystem.get()
        let reuseBefore = try await self.counter(system, "reuse_detected")
        let user = try await system.account()
        let first = try await self.refresh(system, user.refreshToken)
        let one = try first.string("refreshToken")
        let second = try await self.refresh(system, one)
        let two = try second.string("refreshToken")
        let accessToken = try second.string("accessToken")
        try await Task.sleep(for: .milliseconds(1100))

        let reuse = try await self.refresh(system, user.refreshToken)
        #expect(reuse.status == 403)
        #expect(reuse.message?.contains("already used") == true)
        #expect(try await self.refresh(system, two).status == 403)
        #expect(try await system.call(.GET, "/api/test/user", headers: [("x-access-token", accessToken)]).status == 401)
        #expect(try await self.counter(system, "reuse_detected") - reuseBefore == 1)
    }
}
