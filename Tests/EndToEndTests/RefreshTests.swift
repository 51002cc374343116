import Testing

extension EndToEndTests {
    @Suite("Refresh tokens")
    struct RefreshTests {
        @Test("a refresh rotates: a new pair whose access token works and whose refresh token rotates in turn")
        func rotation() async throws {
            let system = try SharedSystem.get()
            let user = try await system.account()
            let first = try await system.call(.POST, "/api/auth/refreshtoken", json: RunningSystem.json(["refreshToken": user.refreshToken]))
            #expect(first.status == 200)
            let newRefresh = try first.string("refreshToken")
            let newAccess = try first.string("accessToken")
            #expect(newRefresh != user.refreshToken)
            let content = try await system.call(.GET, "/api/test/user", headers: [("x-access-token", newAccess)])
            #expect(content.status == 200)

            let next = try await system.call(.POST, "/api/auth/refreshtoken", json: RunningSystem.json(["refreshToken": newRefresh]))
            #expect(next.status == 200)
        }

        @Test("a missing refresh token is 403 Refresh Token is required!", arguments: ["{}", #"{"refreshToken":null}"#, ""])
        func missing(body: String) async throws {
            let reply = try await SharedSystem.get().call(.POST, "/api/auth/refreshtoken", json: body)
            #expect(reply.status == 403)
            #expect(reply.message == "Refresh Token is required!")
        }

        @Test("an unknown refresh token is 403 not in database")
        func unknown() async throws {
            let reply = try await SharedSystem.get().call(
                .POST, "/api/auth/refreshtoken", json: RunningSystem.json(["refreshToken": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"])
            )
            #expect(reply.status == 403)
            #expect(reply.message == "Refresh token is not in database!")
        }
    }
}
