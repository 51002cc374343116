@testable import AuthService
import Common
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

extension TestClientProtocol {
    func call(_ method: HTTPRequest.Method, _ uri: String, token: String?, json: String? = nil, headers: HTTPFields = [:]) async throws -> Reply {
        var headers = headers
        if let token { headers.append(AccessTokenHeader.field(token)) }
        if json != nil { headers[.contentType] = "application/json" }
        return try await self.execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) }) { Reply($0) }
    }
}

extension Reply {
    /// The body as a JSON array of objects (`[]` when it is not one).
    var list: [[String: Any]] {
        (try? JSONSerialization.jsonObject(with: Data(self.text.utf8))) as? [[String: Any]] ?? []
    }
}

@Suite("Self-service: the profile, a password change, the session list")
struct AccountRoutesTests {
    let fixture: AuthFixture

    init() throws {
        self.fixture = try AuthFixture(throttlePolicy: SigninThrottlePolicy(freeFailures: 3, maximumLock: 60))
    }

    @Test("me answers the caller's id, name, email and roles as ROLE_*; without a token 403, with junk 401")
    func me() async throws {
        let id = try await self.fixture.addUser("alice", roles: [.user, .moderator])
        try await self.fixture.application().test(.router) { client in
            let alice = try await client.signedIn("alice")
            let reply = try await client.call(.get, "/api/auth/me", token: alice.accessToken)
            #expect(reply.status == .ok)
            #expect(reply.json.count == 5 && reply.json["id"] as? Int == id && reply.json["username"] as? String == "alice")
            #expect(reply.json["emailVerified"] as? Bool == false)
            #expect(reply.json["email"] as? String == "alice@example.com" && reply.json["roles"] as? [String] == ["ROLE_USER", "ROLE_MODERATOR"])
            #expect(try await client.call(.get, "/api/auth/me", token: nil).text == #"{"message":"No token provided!"}"#)
            #expect(try await client.call(.get, "/api/auth/me", token: "junk").status == .unauthorized)
        }
    }

    @Test("a password change ends every other session and refuses older access tokens, and the calling session goes on with a new pair")
    func passwordChange() async throws {
        try await self.fixture.addUser("alice")
        try await self.fixture.application().test(.router) { client in
            let phone = try await client.signedIn("alice")
            let laptop = try await client.signedIn("alice")
            self.fixture.clock.advance(by: 1)

            let reply = try await client.call(.post, "/api/auth/password", token: phone.accessToken,
                                              json: #"{"currentPassword":"correct-horse","newPassword":"battery-staple"}"#)
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(reply.message == "Password changed")
            let newAccess = try #require(reply.json["accessToken"] as? String)
            let newRefresh = try #require(reply.json["refreshToken"] as? String)
            self.fixture.clock.advance(by: 1)

            let claims = try await self.fixture.verifier().verify(newAccess)
            let old = try await self.fixture.verifier().verify(phone.accessToken)
            #expect(claims.sid == old.sid, "the same session goes on")
            #expect(try await client.call(.get, "/api/auth/me", token: phone.accessToken).status == .unauthorized)
            #expect(try await client.call(.get, "/api/auth/me", token: laptop.accessToken).status == .unauthorized)
            #expect(try await client.call(.get, "/api/auth/me", token: newAccess).status == .ok)
            #expect(try await client.refresh(laptop.refreshToken).message == "Refresh token was revoked. Please make a new signin request")
            #expect(try await client.refresh(phone.refreshToken).status == .forbidden, "the old refresh token was replaced")
            #expect(try await client.refresh(newRefresh).status == .ok)
            #expect(try await client.signin("alice", password: "correct-horse").status == .unauthorized)
            #expect(try await client.signin("alice", password: "battery-staple").status == .ok)
            let events = await self.fixture.audit.all.filter { $0.type == .passwordChanged }
            #expect(events.count == 1 && events[0].actorID == claims.id && events[0].userID == claims.id)
        }
    }

    @Test("a wrong current password is 401 and counts as a failed signin: the back-off then refuses with 429, signin too")
    func wrongCurrentPassword() async throws {
        try await self.fixture.addUser("alice")
        try await self.fixture.application().test(.router) { client in
            let alice = try await client.signedIn("alice")
            let wrong = #"{"currentPassword":"not-it","newPassword":"battery-staple"}"#
            for _ in 0..<3 {
                let reply = try await client.call(.post, "/api/auth/password", token: alice.accessToken, json: wrong)
                #expect(reply.status == .unauthorized && reply.message == "Wrong current password!")
            }
            let locked = try await client.call(.post, "/api/auth/password", token: alice.accessToken,
                                               json: #"{"currentPassword":"correct-horse","newPassword":"battery-staple"}"#)
            #expect(locked.status == .tooManyRequests && locked.headers[.retryAfter] != nil)
            #expect(try await client.signin("alice").status == .tooManyRequests)
            #expect(try await client.call(.get, "/api/auth/me", token: alice.accessToken).status == .ok, "nothing was revoked")
            let reasons = await self.fixture.audit.all.filter { $0.type == .signinFailed }.map { $0.details["reason"] }
            #expect(Array(reasons.prefix(4)) == ["wrong_password", "wrong_password", "wrong_password", "throttled"])
        }
    }

    @Test("a weak or missing new password, or a missing current one, is 400 naming the field and changes nothing", arguments: [
        (#"{"currentPassword":"correct-horse","newPassword":"short"}"#, "Failed! newPassword must be 6 to 128 characters!"),
        (#"{"currentPassword":"correct-horse"}"#, "Failed! newPassword is required!"),
        (#"{"newPassword":"battery-staple"}"#, "Failed! currentPassword is required!"),
        (#"{"currentPassword":"correct-horse","newPassword":["battery-staple"]}"#, "newPassword must be a string"),
        (#"[1]"#, "Request body must be a JSON object"),
    ])
    func refusedBodies(body: String, message: String) async throws {
        try await self.fixture.addUser("alice")
        try await self.fixture.application().test(.router) { client in
            let alice = try await client.signedIn("alice")
            let reply = try await client.call(.post, "/api/auth/password", token: alice.accessToken, json: body)
            #expect(reply.status == .badRequest)
            #expect(reply.message == message)
            #expect(try await client.signin("alice").status == .ok)
            #expect(try await client.refresh(alice.refreshToken).status == .ok)
        }
    }

    @Test("the session list shows each device with its user agent and address, marks the caller's, and shows no token")
    func sessionList() async throws {
        try await self.fixture.addUser("alice")
        try await self.fixture.application().test(.router) { client in
            let phone = try await client.post("/api/auth/signin", json: #"{"username":"alice","password":"correct-horse"}"#,
                                              headers: [.userAgent: "Phone/1.0", RequestOrigin.forwardedFor: "192.0.2.7"])
            let phoneToken = try #require(phone.json["accessToken"] as? String)
            self.fixture.clock.advance(by: 2)
            let laptop = try await client.signedIn("alice")
            let reply = try await client.call(.get, "/api/auth/sessions", token: laptop.accessToken)
            #expect(reply.status == .ok)
            let sessions = reply.list
            #expect(sessions.count == 2)
            #expect(sessions[0]["userAgent"] as? String == "Phone/1.0" && sessions[0]["ip"] as? String == "192.0.2.7")
            #expect(sessions[0]["current"] as? Bool == false && sessions[1]["current"] as? Bool == true)
            #expect(sessions[1]["userAgent"] is NSNull && sessions[1]["ip"] is NSNull)
            #expect(sessions.allSatisfy { ($0["createdAt"] as? String)?.hasSuffix("Z") == true && $0.count == 6 })
            #expect(!reply.text.contains(phoneToken) && !reply.text.contains(laptop.refreshToken))
        }
    }

    @Test("ending a session ends only that one; another user's session id, or junk, is 404 and ends nothing")
    func endSession() async throws {
        try await self.fixture.addUser("alice")
        try await self.fixture.addUser("bob")
        try await self.fixture.application().test(.router) { client in
            let phone = try await client.signedIn("alice")
            let laptop = try await client.signedIn("alice")
            let bob = try await client.signedIn("bob")
            let phoneID = try await self.fixture.verifier().verify(phone.accessToken).sid
            let bobID = try await self.fixture.verifier().verify(bob.accessToken).sid

            for id in [bobID, "nope", String(repeating: "a", count: 300), "%2e%2e"] {
                let reply = try await client.call(.delete, "/api/auth/sessions/\(id)", token: laptop.accessToken)
                #expect(reply.status == .notFound && reply.message == "Session not found", "\(id)")
            }
            #expect(try await client.refresh(bob.refreshToken).status == .ok)
            let ended = try await client.call(.delete, "/api/auth/sessions/\(phoneID)", token: laptop.accessToken)
            #expect(ended.status == .ok && ended.message == "Session ended")
            #expect(try await client.call(.get, "/api/auth/me", token: phone.accessToken).status == .unauthorized)
            #expect(try await client.refresh(phone.refreshToken).status == .forbidden)
            #expect(try await client.call(.get, "/api/auth/sessions", token: laptop.accessToken).list.count == 1)
        }
    }
}
