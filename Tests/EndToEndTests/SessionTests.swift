import Foundation
import Testing

extension EndToEndTests {
    @Suite("Sessions: rotation, grace, signout")
    struct SessionTests {
        func refresh(_ system: RunningSystem, _ token: String) async throws -> RunningSystem.Reply {
            try await system.call(.POST, "/api/auth/refreshtoken", json: RunningSystem.json(["refreshToken": token]))
        }

        func userContent(_ system: RunningSystem, _ accessToken: String) async throws -> Int {
            try await system.call(.GET, "/api/test/user", headers: [("x-access-token", accessToken)]).status
        }

        @Test("16 concurrent refreshes of one token mint exactly one generation, handed to all of them")
        func concurrentRefreshes() async throws {
            let system = try SharedSystem.get()
            let user = try await system.account()
            let replies = try await withThrowingTaskGroup(of: RunningSystem.Reply.self) { group in
                for _ in 0..<16 {
                    group.addTask { try await self.refresh(system, user.refreshToken) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(replies.allSatisfy { $0.status == 200 }, "\(replies.map(\.body))")
            let refreshTokens = Set(try replies.map { try $0.string("refreshToken") })
            let accessTokens = Set(try replies.map { try $0.string("accessToken") })
            #expect(refreshTokens.count == 1)
            #expect(accessTokens.count == 1)
            let next = try #require(refreshTokens.first)
            #expect(try await self.refresh(system, next).status == 200)
        }

        @Test("a replay of the token just rotated, within the grace window, gets the same pair")
        func replayWithinGrace() async throws {
            let system = try SharedSystem.get()
            let user = try await system.account()
            let first = try await self.refresh(system, user.refreshToken)
            let replay = try await self.refresh(system, user.refreshToken)
            #expect(first.status == 200)
            #expect(replay.status == 200)
            #expect(try first.string("refreshToken") == replay.string("refreshToken"))
            #expect(try first.string("accessToken") == replay.string("accessToken"))
        }

        @Test("signout ends that session's access and refresh tokens and leaves the user's other sessions alive")
        func signoutEndsOneSession() async throws {
            let system = try SharedSystem.get()
            let session = try await system.account()
            let other = try await system.existingAccount(session.username, password: session.password)
            // A second access token of the same session, minted by a refresh before signout.
            let refreshed = try await self.refresh(system, session.refreshToken)
            let sameSessionAccess = try refreshed.string("accessToken")
            let sameSessionRefresh = try refreshed.string("refreshToken")

            let signout = try await system.call(.POST, "/api/auth/signout", headers: [("x-access-token", session.accessToken)])
            #expect(signout.status == 200)
            #expect(signout.message == "You've been signed out!")

            #expect(try await self.userContent(system, session.accessToken) == 401)
            #expect(try await self.userContent(system, sameSessionAccess) == 401)
            #expect(try await self.refresh(system, sameSessionRefresh).status == 403)
            #expect(try await self.userContent(system, other.accessToken) == 200)
            #expect(try await self.refresh(system, other.refreshToken).status == 200)
            let again = try await system.call(.POST, "/api/auth/signout", headers: [("x-access-token", session.accessToken)])
            #expect(again.status == 401)
        }

        @Test("global signout ends every session of the user, and a new signin works")
        func globalSignout() async throws {
            let system = try SharedSystem.get()
            let first = try await system.account()
            let second = try await system.existingAccount(first.username, password: first.password)
            let bystander = try await system.account()
            let signout = try await system.call(.POST, "/api/auth/signout?scope=global", headers: [("Authorization", "Bearer \(second.accessToken)")])
            #expect(signout.status == 200)
            for session in [first, second] {
                #expect(try await self.userContent(system, session.accessToken) == 401)
                #expect(try await self.refresh(system, session.refreshToken).status == 403)
            }
            #expect(try await self.userContent(system, bystander.accessToken) == 200)
            let fresh = try await system.existingAccount(first.username, password: first.password)
            #expect(try await self.userContent(system, fresh.accessToken) == 200)
        }

        @Test("signout needs a token")
        func signoutWithoutToken() async throws {
            let reply = try await SharedSystem.get().call(.POST, "/api/auth/signout")
            #expect(reply.status == 403)
            #expect(reply.message == "No token provided!")
        }
    }
}
