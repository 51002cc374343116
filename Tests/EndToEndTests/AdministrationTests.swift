import Foundation
import NIOHTTP1
import Testing

extension AccountEndToEndTests {
    @Suite("Administration through the gateway")
    struct AdministrationTests {
        /// Every admin route, for one id, with a body where it takes one.
        static func routes(_ id: String) -> [(HTTPMethod, String, String?)] {
            [
                (.GET, "/api/admin/users", nil), (.GET, "/api/admin/users/\(id)", nil), (.DELETE, "/api/admin/users/\(id)", nil),
                (.PUT, "/api/admin/users/\(id)/roles", #"{"roles":["admin"]}"#), (.POST, "/api/admin/users/\(id)/disable", nil),
                (.POST, "/api/admin/users/\(id)/enable", nil), (.GET, "/api/admin/users/\(id)/sessions", nil),
                (.DELETE, "/api/admin/users/\(id)/sessions", nil), (.DELETE, "/api/admin/users/\(id)/lockout", nil),
                (.GET, "/api/admin/audit", nil),
            ]
        }

        @Test("a role change is refused to the old token at once and visible at /api/test/mod after a refresh")
        func roleChange() async throws {
            let system = try SharedSystem.get()
            let admin = try await system.admin()
            let user = try await system.account()
            #expect(try await system.call(.GET, "/api/test/mod", as: user).status == 403)

            let reply = try await system.call(.PUT, "/api/admin/users/\(user.id)/roles", as: admin, json: #"{"roles":["user","moderator"]}"#)
            #expect(reply.status == 200 && reply.message == "Roles changed")
            #expect(try await system.call(.GET, "/api/test/mod", as: user).status == 401, "the old token carries the old roles")
            let refreshed = try await system.refresh(user.refreshToken)
            #expect(refreshed.status == 200, "the session goes on")
            let mod = try await system.call(.GET, "/api/test/mod", headers: [("x-access-token", try refreshed.string("accessToken"))])
            #expect(mod.status == 200 && mod.body == "Moderator Content.")
        }

        @Test("a disabled user cannot sign in (the wrong password's answer) or refresh, and their sessions are gone; enabled, they can")
        func disable() async throws {
            let system = try SharedSystem.get()
            let admin = try await system.admin()
            let user = try await system.account()
            let wrong = try await system.signin(user.username, password: "not-the-password")

            #expect(try await system.call(.POST, "/api/admin/users/\(user.id)/disable", as: admin).message == "User disabled")
            let refused = try await system.signin(user.username, password: user.password)
            #expect(refused.status == 401 && refused.body == wrong.body)
            #expect(try await system.refresh(user.refreshToken).message == "Refresh token was revoked. Please make a new signin request")
            #expect(try await system.userBoard(user.accessToken) == 401)
            #expect(try await system.call(.GET, "/api/admin/users/\(user.id)/sessions", as: admin).list().isEmpty)
            let detail = try await system.call(.GET, "/api/admin/users/\(user.id)", as: admin).json()
            #expect(detail["disabled"] as? Bool == true && detail["sessions"] as? Int == 0)

            #expect(try await system.call(.POST, "/api/admin/users/\(user.id)/enable", as: admin).message == "User enabled")
            #expect(try await system.call(.DELETE, "/api/admin/users/\(user.id)/lockout", as: admin).status == 200)
            #expect(try await system.signin(user.username, password: user.password).status == 200)
        }

        @Test("a deleted user is gone: no signin, no refresh, no token, 404 on their id")
        func delete() async throws {
            let system = try SharedSystem.get()
            let admin = try await system.admin()
            let user = try await system.account()
            #expect(try await system.call(.DELETE, "/api/admin/users/\(user.id)", as: admin).message == "User deleted")
            #expect(try await system.signin(user.username, password: user.password).status == 401)
            #expect(try await system.refresh(user.refreshToken).status == 403)
            #expect(try await system.userBoard(user.accessToken) == 401)
            let gone = try await system.call(.GET, "/api/admin/users/\(user.id)", as: admin)
            #expect(gone.status == 404 && gone.message == "User not found")
            #expect(try await system.signup(user.username).status == 200, "the name is free again")
        }

        @Test("an admin ends every session of a user: all their tokens stop working at once")
        func endAllSessions() async throws {
            let system = try SharedSystem.get()
            let admin = try await system.admin()
            let first = try await system.account()
            let second = try await system.existingAccount(first.username, password: first.password)
            #expect(try await system.call(.GET, "/api/admin/users/\(first.id)/sessions", as: admin).list().count == 2)
            #expect(try await system.call(.DELETE, "/api/admin/users/\(first.id)/sessions", as: admin).message == "Sessions ended")
            for session in [first, second] {
                #expect(try await system.userBoard(session.accessToken) == 401)
                #expect(try await system.refresh(session.refreshToken).status == 403)
            }
        }

        @Test("users and moderators get 403 Require Admin Role! on every admin route")
        func nonAdmins() async throws {
            let system = try SharedSystem.get()
            let admin = try await system.admin()
            let target = try await system.account()
            for caller in [try await system.account(), try await system.account(roles: ["moderator"], createdBy: admin)] {
                for (method, path, body) in Self.routes(String(target.id)) {
                    let reply = try await system.call(method, path, as: caller, json: body)
                    #expect(reply.status == 403 && reply.message == "Require Admin Role!", "\(method) \(path): \(reply.status) \(reply.body)")
                }
            }
            #expect(try await system.userBoard(target.accessToken) == 200)
            for (method, path, _) in Self.routes(String(target.id)) {
                let anonymous = try await system.call(method, path)
                #expect(anonymous.status == 403 && anonymous.message == "No token provided!", "\(method) \(path)")
            }
        }

        @Test("malformed ids are 400 naming id, unknown ids 404, hostile bodies 4xx JSON, on every admin route")
        func badInput() async throws {
            let system = try SharedSystem.get()
            let admin = try await system.admin()
            for id in ["0", "-3", "abc", "1e3", "2147483648", "%20"] {
                for (method, path, body) in Self.routes(id) where path.contains("/users/") {
                    let reply = try await system.call(method, path, as: admin, json: body)
                    #expect(reply.status == 400 && reply.message == "id must be a positive integer", "\(method) \(path): \(reply.status) \(reply.body)")
                }
            }
            for (method, path, body) in Self.routes("2147483647") where path.contains("/users/") {
                let reply = try await system.call(method, path, as: admin, json: body)
                #expect(reply.status == 404 && reply.message == "User not found", "\(method) \(path): \(reply.status) \(reply.body)")
            }
            let target = try await system.account()
            let hostile: [(body: String, status: Int, message: String)] = [
                (#"{"roles":"#, 400, "Malformed JSON body"),
                ("[]", 400, "Request body must be a JSON object"),
                (#"{"roles":{"$ne":1}}"#, 400, "roles must be a list of strings"),
                (#"{"roles":[null]}"#, 400, "roles must be a list of strings"),
                (#"{"roles":["admin\u0000"]}"#, 400, "Failed! Role does not exist = admin\u{0}"),
                ("\u{0}\u{1}", 400, "Malformed JSON body"),
                (#"{"roles":["user"],"pad":"\#(String(repeating: "x", count: 70_000))"}"#, 413, "Request body is too large"),
            ]
            for (body, status, message) in hostile {
                let reply = try await system.call(.PUT, "/api/admin/users/\(target.id)/roles", as: admin, json: body)
                #expect(reply.status == status && reply.message == message, "\(body.prefix(40)): \(reply.status) \(reply.body)")
            }
            #expect(try await system.signin(target.username).json()["roles"] as? [String] == ["ROLE_USER"])
        }
    }
}
