import Foundation
import Testing

extension AccountEndToEndTests {
    @Suite("Self-service accounts: profile, password change, sessions")
    struct AccountTests {
        @Test("me answers the caller's profile, read from the database")
        func me() async throws {
            let system = try SharedSystem.get()
            let user = try await system.account()
            let reply = try await system.call(.GET, "/api/auth/me", as: user)
            #expect(reply.status == 200)
            let body = try reply.json()
            #expect(body["id"] as? Int == user.id && body["username"] as? String == user.username)
            #expect(body["email"] as? String == "\(user.username)@example.com" && body["roles"] as? [String] == ["ROLE_USER"])
            #expect(try await system.call(.GET, "/api/auth/me").message == "No token provided!")
        }

        @Test("a password change ends the other sessions and every older access token, and keeps the calling session")
        func passwordChange() async throws {
            let system = try SharedSystem.get()
            let phone = try await system.account()
            let laptop = try await system.existingAccount(phone.username, password: phone.password)
            let body = RunningSystem.json(["currentPassword": phone.password, "newPassword": "a-new-password"])

            let reply = try await system.call(.POST, "/api/auth/password", as: phone, json: body)
            #expect(reply.status == 200, "\(reply.body)")
            #expect(reply.message == "Password changed")
            let access = try reply.string("accessToken")
            let refresh = try reply.string("refreshToken")

            #expect(try await system.userBoard(phone.accessToken) == 401, "the caller's old access token")
            #expect(try await system.userBoard(laptop.accessToken) == 401)
            #expect(try await system.refresh(laptop.refreshToken).message == "Refresh token was revoked. Please make a new signin request")
            #expect(try await system.refresh(phone.refreshToken).status == 403, "replaced by the answer's")
            #expect(try await system.userBoard(access) == 200, "the same session goes on")
            let next = try await system.refresh(refresh)
            #expect(next.status == 200)
            #expect(try await system.userBoard(try next.string("accessToken")) == 200)
            #expect(try await system.signin(phone.username, password: phone.password).status == 401)
            #expect(try await system.signin(phone.username, password: "a-new-password").status == 200)
        }

        @Test("a wrong current password is 401 and changes nothing; a weak new one is 400 naming the rule")
        func refusedChanges() async throws {
            let system = try SharedSystem.get()
            let user = try await system.account()
            let wrong = try await system.call(.POST, "/api/auth/password", as: user,
                                              json: RunningSystem.json(["currentPassword": "not-the-password", "newPassword": "a-new-password"]))
            #expect(wrong.status == 401 && wrong.message == "Wrong current password!")
            let weak = try await system.call(.POST, "/api/auth/password", as: user,
                                             json: RunningSystem.json(["currentPassword": user.password, "newPassword": "12345"]))
            #expect(weak.status == 400 && weak.message == "Failed! newPassword must be 6 to 128 characters!")
            #expect(try await system.userBoard(user.accessToken) == 200)
            #expect(try await system.signin(user.username, password: user.password).status == 200)
        }

        @Test("the session list shows two devices with their user agents and address; ending one leaves the other")
        func twoDevices() async throws {
            let system = try SharedSystem.get()
            let name = RunningSystem.uniqueName()
            _ = try await system.signup(name)
            let credentials = RunningSystem.json(["username": name, "password": "secret-pw"])
            let phoneSignin = try await system.call(.POST, "/api/auth/signin", headers: [("User-Agent", "Phone/2.0")], json: credentials)
            let laptopSignin = try await system.call(.POST, "/api/auth/signin", headers: [("User-Agent", "Laptop/3.1")], json: credentials)
            let phone = Account(id: try #require(try phoneSignin.json()["id"] as? Int), username: name, password: "secret-pw",
                                accessToken: try phoneSignin.string("accessToken"), refreshToken: try phoneSignin.string("refreshToken"))
            let laptopToken = try laptopSignin.string("accessToken")

            // Oldest first, to the second: two signins within one second come in either order.
            let sessions = try await system.call(.GET, "/api/auth/sessions", as: phone).list()
            #expect(Set(sessions.compactMap { $0["userAgent"] as? String }) == ["Phone/2.0", "Laptop/3.1"])
            #expect(sessions.count == 2)
            #expect(sessions.allSatisfy { $0["ip"] as? String == "127.0.0.1" })
            let byAgent = Dictionary(sessions.map { ($0["userAgent"] as? String ?? "", $0) }, uniquingKeysWith: { first, _ in first })
            #expect(byAgent["Phone/2.0"]?["current"] as? Bool == true)
            #expect(byAgent["Laptop/3.1"]?["current"] as? Bool == false)
            let laptopID = try #require(byAgent["Laptop/3.1"]?["id"] as? String)

            let ended = try await system.call(.DELETE, "/api/auth/sessions/\(laptopID)", as: phone)
            #expect(ended.status == 200 && ended.message == "Session ended")
            #expect(try await system.userBoard(laptopToken) == 401, "at once: the gateway that carried the answer enforces it")
            #expect(try await system.refresh(try laptopSignin.string("refreshToken")).status == 403)
            #expect(try await system.userBoard(phone.accessToken) == 200)
            #expect(try await system.call(.GET, "/api/auth/sessions", as: phone).list().count == 1)
            let again = try await system.call(.DELETE, "/api/auth/sessions/\(laptopID)", as: phone)
            #expect(again.status == 404 && again.message == "Session not found")
        }
    }
}
