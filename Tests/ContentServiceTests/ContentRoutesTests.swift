@testable import ContentService
import Common
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@Suite("The content routes answer by the verified token's roles, with the contract's texts")
struct ContentRoutesTests {
    let mint: TokenMint

    init() throws {
        self.mint = try TokenMint()
    }

    @Test("/api/test/all is public text")
    func publicContent() async throws {
        try await self.mint.application().test(.router) { client in
            try await client.execute(uri: "/api/test/all", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "Public Content.")
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
            }
        }
    }

    @Test("every protected route without a token is 403 No token provided!", arguments: ["/api/test/user", "/api/test/mod", "/api/test/admin"])
    func noTokenIs403(path: String) async throws {
        try await self.mint.application().test(.router) { client in
            let response = try await client.get(path)
            #expect(response.status == .forbidden)
            #expect(response.body == #"{"message":"No token provided!"}"#)
        }
    }

    @Test("/api/test/user answers User Content. to a user's token")
    func userContent() async throws {
        let token = try await self.mint.token(roles: ["user"])
        try await self.mint.application().test(.router) { client in
            let response = try await client.get("/api/test/user", headers: HTTPFields([AccessTokenHeader.field(token)]))
            #expect(response.status == .ok)
            #expect(response.body == "User Content.")
        }
    }

    @Test("Bearer is read in any case; x-access-token is not read: the gateway forwards every token as Bearer")
    func bearerHeader() async throws {
        let token = try await self.mint.token(roles: ["user", "admin"])
        try await self.mint.application().test(.router) { client in
            let user = try await client.get("/api/test/user", headers: [.authorization: "Bearer \(token)"])
            #expect(user.status == .ok)
            #expect(user.body == "User Content.")
            let admin = try await client.get("/api/test/admin", headers: [.authorization: "bearer \(token)"])
            #expect(admin.body == "Admin Content.")
            let unread = try await client.get("/api/test/user", headers: [.accessToken: token])
            #expect(unread.status == .forbidden)
        }
    }

    @Test("/api/test/mod needs the moderator role")
    func moderatorContent() async throws {
        let user = try await self.mint.token(roles: ["user"])
        let admin = try await self.mint.token(roles: ["user", "admin"])
        let moderator = try await self.mint.token(roles: ["user", "moderator"])
        try await self.mint.application().test(.router) { client in
            for token in [user, admin] {
                let refused = try await client.get("/api/test/mod", headers: HTTPFields([AccessTokenHeader.field(token)]))
                #expect(refused.status == .forbidden)
                #expect(refused.body == #"{"message":"Require Moderator Role!"}"#)
            }
            let allowed = try await client.get("/api/test/mod", headers: HTTPFields([AccessTokenHeader.field(moderator)]))
            #expect(allowed.status == .ok)
            #expect(allowed.body == "Moderator Content.")
        }
    }

    @Test("/api/test/admin needs the admin role")
    func adminContent() async throws {
        let user = try await self.mint.token(roles: ["user"])
        let moderator = try await self.mint.token(roles: ["user", "moderator"])
        let admin = try await self.mint.token(roles: ["admin"])
        try await self.mint.application().test(.router) { client in
            for token in [user, moderator] {
                let refused = try await client.get("/api/test/admin", headers: HTTPFields([AccessTokenHeader.field(token)]))
                #expect(refused.status == .forbidden)
                #expect(refused.body == #"{"message":"Require Admin Role!"}"#)
            }
            let allowed = try await client.get("/api/test/admin", headers: HTTPFields([AccessTokenHeader.field(admin)]))
            #expect(allowed.status == .ok)
            #expect(allowed.body == "Admin Content.")
        }
    }

    @Test("identity headers a client could set change nothing")
    func clientIdentityHeadersAreIgnored() async throws {
        let user = try await self.mint.token(roles: ["user"])
        let forged: HTTPFields = [
            headerName("x-user-roles"): "admin,moderator",
            headerName("x-user-id"): "1",
            headerName("x-forwarded-user"): "admin",
        ]
        try await self.mint.application().test(.router) { client in
            let anonymous = try await client.get("/api/test/admin", headers: forged)
            #expect(anonymous.status == .forbidden)
            #expect(anonymous.body == #"{"message":"No token provided!"}"#)

            var withUserToken = forged
            withUserToken[.authorization] = "Bearer \(user)"
            let asUser = try await client.get("/api/test/admin", headers: withUserToken)
            #expect(asUser.status == .forbidden)
            #expect(asUser.body == #"{"message":"Require Admin Role!"}"#)
        }
    }

    @Test("a garbage or foreign token is 401 Unauthorized!")
    func badTokenIs401() async throws {
        let foreign = try await TokenMint().token(roles: ["admin"])
        try await self.mint.application().test(.router) { client in
            for token in ["garbage", "a.b.c", foreign] {
                let response = try await client.get("/api/test/user", headers: HTTPFields([AccessTokenHeader.field(token)]))
                #expect(response.status == .unauthorized)
                #expect(response.body == #"{"message":"Unauthorized!"}"#)
            }
        }
    }

    @Test("an expired token is 401 with the contract's expired message")
    func expiredTokenIs401() async throws {
        let expired = try await self.mint.token(roles: ["user"], issuedAt: Date().addingTimeInterval(-3_600), lifetime: 900)
        try await self.mint.application().test(.router) { client in
            let response = try await client.get("/api/test/user", headers: HTTPFields([AccessTokenHeader.field(expired)]))
            #expect(response.status == .unauthorized)
            #expect(response.body == #"{"message":"Unauthorized! Access Token was expired!"}"#)
        }
    }

    @Test("an unknown path is 404 JSON")
    func unknownPath() async throws {
        try await self.mint.application().test(.router) { client in
            let response = try await client.get("/api/test/nothing-here")
            #expect(response.status == .notFound)
            #expect(response.body == #"{"message":"Not found"}"#)
        }
    }
}
