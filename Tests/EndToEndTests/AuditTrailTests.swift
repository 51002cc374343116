import Foundation
import Testing

extension AccountEndToEndTests {
    @Suite("The audit trail through the gateway")
    struct AuditTrailTests {
        @Test("the trail holds a user's events in order with the right actor, and never a password or token")
        func eventsInOrder() async throws {
            let system = try SharedSystem.get()
            let admin = try await system.admin()
            let user = try await system.account()
            _ = try await system.signin(user.username, password: "wrong-password")
            let change = RunningSystem.json(["currentPassword": user.password, "newPassword": "a-new-password"])
            let changed = try await system.call(.POST, "/api/auth/password", as: user, json: change)
            let current = Account(id: user.id, username: user.username, password: "a-new-password",
                                  accessToken: try changed.string("accessToken"), refreshToken: try changed.string("refreshToken"))
            _ = try await system.call(.PUT, "/api/admin/users/\(user.id)/roles", as: admin, json: #"{"roles":["user","moderator"]}"#)
            _ = try await system.call(.POST, "/api/admin/users/\(user.id)/disable", as: admin)
            _ = try await system.call(.POST, "/api/admin/users/\(user.id)/enable", as: admin)
            _ = try await system.call(.DELETE, "/api/admin/users/\(user.id)/lockout", as: admin)
            _ = try await system.call(.DELETE, "/api/admin/users/\(user.id)/sessions", as: admin)
            let again = try await system.existingAccount(user.username, password: "a-new-password")
            _ = try await system.call(.POST, "/api/auth/signout", as: again)
            _ = try await system.call(.DELETE, "/api/admin/users/\(user.id)", as: admin)

            let expected: [(String, Int?)] = [
                ("signup", nil), ("signin_succeeded", nil), ("signin_failed", nil), ("password_changed", user.id),
                ("roles_changed", admin.id), ("user_disabled", admin.id), ("user_enabled", admin.id), ("lockout_cleared", admin.id),
                ("sessions_ended", admin.id), ("signin_succeeded", nil), ("signout", user.id), ("user_deleted", admin.id),
            ]
            let events = Array(try await system.auditEvents(of: user.id, atLeast: expected.count, as: admin).reversed())
            #expect(events.compactMap { $0["type"] as? String } == expected.map(\.0))
            #expect(events.map { $0["actorId"] as? Int } == expected.map(\.1))
            #expect(events.allSatisfy { $0["userId"] as? Int == user.id && $0["ip"] as? String == "127.0.0.1" && $0["requestId"] is String })
            let failed = try #require(events.first { $0["type"] as? String == "signin_failed" })
            #expect((failed["details"] as? [String: Any])?["reason"] as? String == "wrong_password")
            let roles = try #require(events.first { $0["type"] as? String == "roles_changed" }?["details"] as? [String: Any])
            #expect(roles["old"] as? [String] == ["user"] && roles["new"] as? [String] == ["user", "moderator"])
            let text = String(decoding: try JSONSerialization.data(withJSONObject: events), as: UTF8.self)
            for secret in [user.password, "a-new-password", "wrong-password", user.accessToken, user.refreshToken, current.refreshToken] {
                #expect(!text.contains(secret))
            }
        }
    }
}

/// Systems of their own, on Redis databases of their own: cut-offs are kept per user id, and ids repeat
/// across the systems' databases.
@Suite("The audit trail and the last admin, each on a system of its own")
struct AccountSystemTests {
    @Test("signins in flight at SIGTERM: every one answered has its audit event in the table once the auth service has exited")
    func flushedAtShutdown() async throws {
        try await RunningSystem.with(environment: ["REDIS_URL": try TestEnvironment.require("TEST_REDIS_URL") + "/9"]) { system in
            let user = try await system.account()
            let authURL = "http://127.0.0.1:\(system.ports.auth)/api/auth/signin"
            let credentials = RunningSystem.json(["username": user.username, "password": user.password])
            // Straight to the auth service, so the gateway's own shutdown plays no part. The last of them
            // finish while the server drains, moments before the audit writer is told to stop.
            let inFlight = Task {
                await withTaskGroup(of: Int?.self) { group in
                    for _ in 0..<24 {
                        group.addTask {
                            try? await system.send(.POST, url: authURL, headers: [("Content-Type", "application/json")], body: credentials).status
                        }
                    }
                    return await group.reduce(into: [Int?]()) { $0.append($1) }
                }
            }
            try await Task.sleep(for: .milliseconds(150))
            await system.auth.stop(grace: .seconds(15))
            #expect(system.auth.exitStatus == 0, "\(system.auth.logTail())")
            let answered = await inFlight.value.filter { $0 == 200 }.count
            #expect(answered > 0, "no signin was in flight")
            let stored = try TestEnvironment.psqlValue(
                system.databaseURL, "SELECT count(*) FROM auth_audit_events WHERE type = 'signin_succeeded' AND \"userId\" = \(user.id)"
            )
            // At least: a signin whose answer was lost in the shutdown may have its event too.
            #expect((Int(stored) ?? 0) >= answered + 1, "the account's own signin and the \(answered) answered in flight: \(stored)")
        }
    }

    @Test("the last admin cannot lose admin; two admins demoting each other at once leave exactly one")
    func lastAdmin() async throws {
        try await RunningSystem.with(environment: ["REDIS_URL": try TestEnvironment.require("TEST_REDIS_URL") + "/10"]) { system in
            let root = try await system.admin()
            let alone = try await system.call(.PUT, "/api/admin/users/\(root.id)/roles", as: root, json: #"{"roles":["user"]}"#)
            #expect(alone.status == 400 && alone.message == "Failed! The last admin cannot lose the admin role!")
            for round in 0..<4 {
                let root = try await system.admin()
                let other = try await system.account(roles: ["admin"], createdBy: root)
                async let first = system.call(.PUT, "/api/admin/users/\(other.id)/roles", as: root, json: #"{"roles":["user"]}"#)
                async let second = system.call(.PUT, "/api/admin/users/\(root.id)/roles", as: other, json: #"{"roles":["user"]}"#)
                let statuses = [try await first.status, try await second.status]
                #expect(statuses.filter { $0 == 200 }.count == 1, "round \(round): \(statuses)")
                let admins = try TestEnvironment.psqlValue(
                    system.databaseURL,
                    #"SELECT count(*) FROM users u JOIN user_roles r ON r."userId" = u.id AND r."roleId" = 3 WHERE u."disabledAt" IS NULL"#
                )
                #expect(admins == "1", "round \(round)")
                if statuses[1] == 200 {
                    // The bootstrap admin was demoted: make it admin again for the next round.
                    _ = try await system.call(.PUT, "/api/admin/users/\(root.id)/roles", as: try await system.existingAccount(other.username, password: other.password), json: #"{"roles":["user","admin"]}"#)
                    let demote = try await system.call(.PUT, "/api/admin/users/\(other.id)/roles", as: try await system.admin(), json: #"{"roles":["user"]}"#)
                    #expect(demote.status == 200)
                }
            }
        }
    }
}
