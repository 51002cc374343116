@testable import AuthService
import Common
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Administration: roles, disable, enable, delete, sessions, lockout, audit; admins only")
struct AdminRoutesTests {
    let fixture: AuthFixture

    init() throws {
        self.fixture = try AuthFixture(throttlePolicy: SigninThrottlePolicy(freeFailures: 2, maximumLock: 60))
    }

    /// Every admin route with a method, for one user id.
    static func adminRoutes(_ id: String) -> [(HTTPRequest.Method, String, String?)] {
        [
            (.get, "/api/admin/users", nil), (.get, "/api/admin/users/\(id)", nil), (.delete, "/api/admin/users/\(id)", nil),
            (.put, "/api/admin/users/\(id)/roles", #"{"roles":["user"]}"#), (.post, "/api/admin/users/\(id)/disable", nil),
            (.post, "/api/admin/users/\(id)/enable", nil), (.get, "/api/admin/users/\(id)/sessions", nil),
            (.delete, "/api/admin/users/\(id)/sessions", nil), (.delete, "/api/admin/users/\(id)/lockout", nil),
            (.get, "/api/admin/audit", nil),
        ]
    }

    @Test("a user or a moderator gets 403 Require Admin Role! on every admin route, and changes nothing")
    func nonAdminsRefused() async throws {
        let target = try await self.fixture.addUser("target")
        try await self.fixture.addUser("mod", roles: [.user, .moderator])
        try await self.fixture.application().test(.router) { client in
            let victim = try await client.signedIn("target")
            for name in ["target", "mod"] {
                let caller = try await client.signedIn(name)
                for (method, path, body) in Self.adminRoutes(String(target)) {
                    let reply = try await client.call(method, path, token: caller.accessToken, json: body)
                    #expect(reply.status == .forbidden && reply.text == #"{"message":"Require Admin Role!"}"#, "\(name) \(method) \(path)")
                }
            }
            #expect(try await client.refresh(victim.refreshToken).status == .ok)
            #expect(try await self.fixture.users.find(id: target)?.roles == [.user])
        }
    }

    @Test("malformed ids are 400 naming id, unknown ids 404 User not found, on every route with an id")
    func idsChecked() async throws {
        try await self.fixture.addUser("boss", roles: [.user, .admin])
        try await self.fixture.application().test(.router) { client in
            let boss = try await client.signedIn("boss")
            for id in ["0", "-1", "abc", "1.5", "%201", "99999999999", "+2", "0x10"] {
                for (method, path, body) in Self.adminRoutes(id) where path.contains(id) {
                    let reply = try await client.call(method, path, token: boss.accessToken, json: body)
                    #expect(reply.status == .badRequest && reply.message == "id must be a positive integer", "\(method) \(path): \(reply.text)")
                }
            }
            for (method, path, body) in Self.adminRoutes("4242") where path.contains("4242") {
                let reply = try await client.call(method, path, token: boss.accessToken, json: body)
                #expect(reply.status == .notFound && reply.message == "User not found", "\(method) \(path): \(reply.text)")
            }
        }
    }

    @Test("a role change refuses the user's tokens but not their sessions: the next refresh carries the new roles")
    func roleChange() async throws {
        try await self.fixture.addUser("boss", roles: [.user, .admin])
        let alice = try await self.fixture.addUser("alice")
        try await self.fixture.application().test(.router) { client in
            let boss = try await client.signedIn("boss")
            let session = try await client.signedIn("alice")
            self.fixture.clock.advance(by: 1)
            let reply = try await client.call(.put, "/api/admin/users/\(alice)/roles", token: boss.accessToken, json: #"{"roles":["moderator","user"]}"#)
            #expect(reply.status == .ok && reply.message == "Roles changed")
            #expect(try await client.call(.get, "/api/auth/me", token: session.accessToken).status == .unauthorized)
            let refreshed = try await client.refresh(session.refreshToken)
            let token = try #require(refreshed.json["accessToken"] as? String)
            #expect(try await self.fixture.verifier().verify(token).roles == ["user", "moderator"])
            #expect(try await client.call(.get, "/api/auth/me", token: token).json["roles"] as? [String] == ["ROLE_USER", "ROLE_MODERATOR"])
            let event = try #require(await self.fixture.audit.all.last)
            #expect(event.type == .rolesChanged && event.userID == alice && event.details["old"] == .array(["user"]))
            #expect(event.details["new"] == .array(["user", "moderator"]))
            for (body, message) in [(#"{"roles":[]}"#, "Failed! roles must name at least one role!"), (#"{}"#, "Failed! roles is required!"),
                                    (#"{"roles":["root"]}"#, "Failed! Role does not exist = root"), (#"{"roles":[1]}"#, "roles must be a list of strings")] {
                let refused = try await client.call(.put, "/api/admin/users/\(alice)/roles", token: boss.accessToken, json: body)
                #expect(refused.status == .badRequest && refused.message == message, "\(body)")
            }
        }
    }

    @Test("disabled: signin gets the wrong password's 401, refresh 403 revoked, sessions end; enabled again, signin works")
    func disableAndEnable() async throws {
        try await self.fixture.addUser("boss", roles: [.user, .admin])
        let alice = try await self.fixture.addUser("alice")
        try await self.fixture.application().test(.router) { client in
            let boss = try await client.signedIn("boss")
            let session = try await client.signedIn("alice")
            let wrong = try await client.signin("alice", password: "not-her-password")
            let reply = try await client.call(.post, "/api/admin/users/\(alice)/disable", token: boss.accessToken)
            #expect(reply.status == .ok && reply.message == "User disabled")
            let refused = try await client.signin("alice")
            #expect(refused.status == .unauthorized && refused.text == wrong.text)
            #expect(try await client.refresh(session.refreshToken).message == "Refresh token was revoked. Please make a new signin request")
            #expect(try await client.call(.get, "/api/auth/me", token: session.accessToken).status == .unauthorized)
            #expect(try await client.call(.get, "/api/admin/users/\(alice)", token: boss.accessToken).json["disabled"] as? Bool == true)
            try await self.fixture.throttle.recordSuccess(username: "alice")
            #expect(try await client.call(.post, "/api/admin/users/\(alice)/enable", token: boss.accessToken).message == "User enabled")
            #expect(try await client.signin("alice").status == .ok)
            let reasons = await self.fixture.audit.all.filter { $0.type == .signinFailed }.map { $0.details["reason"] }
            #expect(reasons == ["wrong_password", "disabled"])
        }
    }

    @Test("delete removes the account and ends its sessions; an admin cannot disable or delete themselves, nor remove the last admin")
    func deleteAndSelfProtection() async throws {
        let bossID = try await self.fixture.addUser("boss", roles: [.user, .admin])
        let alice = try await self.fixture.addUser("alice")
        try await self.fixture.application().test(.router) { client in
            let boss = try await client.signedIn("boss")
            let session = try await client.signedIn("alice")
            #expect(try await client.call(.delete, "/api/admin/users/\(alice)", token: boss.accessToken).message == "User deleted")
            #expect(try await client.signin("alice").status == .unauthorized)
            #expect(try await client.refresh(session.refreshToken).status == .forbidden)
            #expect(try await client.call(.get, "/api/admin/users/\(alice)", token: boss.accessToken).status == .notFound)
            for (method, path, message) in [
                (HTTPRequest.Method.post, "/api/admin/users/\(bossID)/disable", "You cannot disable your own account!"),
                (.delete, "/api/admin/users/\(bossID)", "You cannot delete your own account!"),
            ] {
                let reply = try await client.call(method, path, token: boss.accessToken)
                #expect(reply.status == .badRequest && reply.message == message)
            }
            let demote = try await client.call(.put, "/api/admin/users/\(bossID)/roles", token: boss.accessToken, json: #"{"roles":["user"]}"#)
            #expect(demote.status == .badRequest && demote.message == "Failed! The last admin cannot lose the admin role!")
            #expect(try await client.call(.get, "/api/admin/users", token: boss.accessToken).status == .ok, "still an admin")
        }
    }

    @Test("the user list pages and searches; the detail shows the back-off and the session count; lockout and sessions can be cleared")
    func listDetailLockoutSessions() async throws {
        try await self.fixture.addUser("boss", roles: [.user, .admin])
        let alice = try await self.fixture.addUser("alice")
        try await self.fixture.addUser("albert")
        try await self.fixture.application().test(.router) { client in
            let boss = try await client.signedIn("boss")
            let phone = try await client.signedIn("alice")
            _ = try await client.signedIn("alice")
            let page = try await client.call(.get, "/api/admin/users?limit=2&offset=1", token: boss.accessToken)
            #expect((page.json["users"] as? [[String: Any]])?.compactMap { $0["username"] as? String } == ["alice", "albert"])
            #expect(page.json["total"] as? Int == 3 && page.json["totalExact"] as? Bool == true && page.json["next"] is NSNull)
            #expect(try await client.call(.get, "/api/admin/users?q=AL", token: boss.accessToken).json["total"] as? Int == 2)
            let first = try await client.call(.get, "/api/admin/users?limit=1", token: boss.accessToken).json
            let next = try #require(first["next"] as? Int)
            let second = try await client.call(.get, "/api/admin/users?limit=5&after=\(next)", token: boss.accessToken).json
            #expect((second["users"] as? [[String: Any]])?.compactMap { $0["username"] as? String } == ["alice", "albert"])
            #expect(second["next"] is NSNull && second["total"] as? Int == 3)
            for query in [
                "limit=0", "limit=101", "limit=x", "offset=-1", "offset=10001", "after=-1", "after=x", "after=2147483648",
                "q=" + String(repeating: "x", count: 255),
            ] {
                let refused = try await client.call(.get, "/api/admin/users?\(query)", token: boss.accessToken)
                #expect(refused.status == .badRequest && refused.message?.hasPrefix(String(query.prefix { $0 != "=" })) == true, "\(query)")
            }
            #expect(try await client.call(.get, "/api/admin/users?offset=10000&after=0", token: boss.accessToken).status == .ok)

            for _ in 0..<2 { _ = try await client.signin("alice", password: "wrong") }
            let detail = try await client.call(.get, "/api/admin/users/\(alice)", token: boss.accessToken).json
            #expect(detail["sessions"] as? Int == 2 && detail["lockedUntil"] is String && detail["disabled"] as? Bool == false)
            #expect(try await client.signin("alice").status == .tooManyRequests)
            #expect(try await client.call(.delete, "/api/admin/users/\(alice)/lockout", token: boss.accessToken).message == "Lockout cleared")
            #expect(try await client.call(.get, "/api/admin/users/\(alice)", token: boss.accessToken).json["lockedUntil"] is NSNull)
            #expect(try await client.signin("alice").status == .ok)

            #expect(try await client.call(.get, "/api/admin/users/\(alice)/sessions", token: boss.accessToken).list.count == 3)
            #expect(try await client.call(.delete, "/api/admin/users/\(alice)/sessions", token: boss.accessToken).message == "Sessions ended")
            #expect(try await client.refresh(phone.refreshToken).status == .forbidden)
            #expect(try await client.call(.get, "/api/admin/users/\(alice)/sessions", token: boss.accessToken).list.isEmpty)
        }
    }

    @Test("the audit trail lists the events newest first with the actor, filters by user and type, and pages")
    func auditTrail() async throws {
        let bossID = try await self.fixture.addUser("boss", roles: [.user, .admin])
        let alice = try await self.fixture.addUser("alice")
        try await self.fixture.application().test(.router) { client in
            let boss = try await client.signedIn("boss")
            _ = try await client.signedIn("alice")
            _ = try await client.call(.post, "/api/admin/users/\(alice)/disable", token: boss.accessToken)
            _ = try await client.call(.post, "/api/admin/users/\(alice)/enable", token: boss.accessToken)

            let all = try await client.call(.get, "/api/admin/audit?userId=\(alice)", token: boss.accessToken)
            let events = try #require(all.json["events"] as? [[String: Any]])
            #expect(events.compactMap { $0["type"] as? String } == ["user_enabled", "user_disabled", "signin_succeeded"])
            #expect(events[0]["actorId"] as? Int == bossID && events[2]["actorId"] is NSNull)
            #expect(all.json["next"] is NSNull)
            let typed = try await client.call(.get, "/api/admin/audit?type=signin_succeeded&limit=1", token: boss.accessToken)
            let first = try #require((typed.json["events"] as? [[String: Any]])?.first)
            #expect(first["userId"] as? Int == alice)
            let next = try #require(typed.json["next"] as? Int)
            let older = try await client.call(.get, "/api/admin/audit?type=signin_succeeded&before=\(next)", token: boss.accessToken)
            #expect((older.json["events"] as? [[String: Any]])?.compactMap { $0["userId"] as? Int } == [bossID])
            for query in ["type=nope", "userId=0", "before=abc", "limit=500"] {
                #expect(try await client.call(.get, "/api/admin/audit?\(query)", token: boss.accessToken).status == .badRequest, "\(query)")
            }
        }
    }
}
