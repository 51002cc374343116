import Testing

extension EndToEndTests {
    @Suite("Role policy")
    struct RolePolicyTests {
        @Test("no roles, [] and [\"user\"] all give the user role only", arguments: [nil, [], ["user"]] as [[String]?])
        func defaultRole(roles: [String]?) async throws {
            let system = try SharedSystem.get()
            let account = try await system.account(roles: roles)
            let signin = try await system.signin(account.username)
            #expect(try signin.json()["roles"] as? [String] == ["ROLE_USER"])
            let mod = try await system.call(.GET, "/api/test/mod", headers: [("x-access-token", account.accessToken)])
            #expect(mod.status == 403)
        }

        @Test("privileged roles need an admin's token", arguments: [["admin"], ["moderator"], ["user", "admin"]])
        func privilegedRolesRefusedWithoutAdmin(roles: [String]) async throws {
            let system = try SharedSystem.get()
            let anonymous = try await system.signup(RunningSystem.uniqueName(), roles: roles)
            #expect(anonymous.status == 403)
            #expect(anonymous.message == "Require Admin Role!")
            let user = try await system.account()
            let byUser = try await system.signup(RunningSystem.uniqueName(), roles: roles, token: user.accessToken)
            #expect(byUser.status == 403)
            #expect(byUser.message == "Require Admin Role!")
        }

        @Test("the bootstrap admin creates a moderator who sees moderator content but not admin content")
        func adminGrantsModerator() async throws {
            let system = try SharedSystem.get()
            let admin = try await system.admin()
            let adminContent = try await system.call(.GET, "/api/test/admin", headers: [("x-access-token", admin.accessToken)])
            #expect(adminContent.status == 200)
            #expect(adminContent.body == "Admin Content.")

            let moderator = try await system.account(roles: ["moderator"], createdBy: admin)
            let signin = try await system.signin(moderator.username)
            #expect(try signin.json()["roles"] as? [String] == ["ROLE_MODERATOR"])
            let mod = try await system.call(.GET, "/api/test/mod", headers: [("Authorization", "Bearer \(moderator.accessToken)")])
            #expect(mod.status == 200)
            #expect(mod.body == "Moderator Content.")
            let adminOnly = try await system.call(.GET, "/api/test/admin", headers: [("x-access-token", moderator.accessToken)])
            #expect(adminOnly.status == 403)
            #expect(adminOnly.message == "Require Admin Role!")
        }

        @Test("a signed-out admin's token no longer grants privileged roles at signup")
        func revokedAdminTokenGrantsNothing() async throws {
            let system = try SharedSystem.get()
            let admin = try await system.admin()
            let signout = try await system.call(.POST, "/api/auth/signout", headers: [("x-access-token", admin.accessToken)])
            #expect(signout.status == 200)
            let reply = try await system.signup(RunningSystem.uniqueName(), roles: ["admin"], token: admin.accessToken)
            #expect(reply.status == 401)
            #expect(reply.message == "Unauthorized!")
        }

        @Test("an identity header sent by a client grants nothing")
        func identityHeadersIgnored() async throws {
            let system = try SharedSystem.get()
            let user = try await system.account()
            let reply = try await system.call(
                .GET, "/api/test/admin",
                headers: [("x-access-token", user.accessToken), ("X-User-Roles", "admin"), ("X-User-Id", "1"), ("X-Forwarded-User", "rootadmin")]
            )
            #expect(reply.status == 403)
            #expect(reply.message == "Require Admin Role!")
        }
    }
}
