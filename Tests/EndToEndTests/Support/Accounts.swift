import Foundation
import Testing

/// A signed-in account as the tests use it.
struct Account: Sendable {
    var id: Int
    var username: String
    var password: String
    var accessToken: String
    var refreshToken: String
}

extension RunningSystem {
    /// A username no other test uses.
    static func uniqueName(_ prefix: String = "u") -> String {
        prefix + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(10).lowercased()
    }

    static func json(_ object: [String: Any]) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    @discardableResult
    func signup(_ username: String, password: String = "secret-pw", roles: [String]? = nil, token: String? = nil) async throws -> Reply {
        var body: [String: Any] = ["username": username, "email": "\(username)@example.com", "password": password]
        if let roles { body["roles"] = roles }
        return try await self.call(.POST, "/api/auth/signup", headers: token.map { [("x-access-token", $0)] } ?? [], json: Self.json(body))
    }

    func signin(_ username: String, password: String = "secret-pw") async throws -> Reply {
        try await self.call(.POST, "/api/auth/signin", json: Self.json(["username": username, "password": password]))
    }

    /// Signs up (unless told the account exists) and signs in, failing the test on any other answer.
    func account(_ username: String = RunningSystem.uniqueName(), password: String = "secret-pw", roles: [String]? = nil, createdBy admin: Account? = nil) async throws -> Account {
        let signup = try await self.signup(username, password: password, roles: roles, token: admin?.accessToken)
        try #require(signup.status == 200, "signup failed: \(signup.status) \(signup.body)")
        return try await self.existingAccount(username, password: password)
    }

    func existingAccount(_ username: String, password: String) async throws -> Account {
        let reply = try await self.signin(username, password: password)
        try #require(reply.status == 200, "signin failed: \(reply.status) \(reply.body)")
        let body = try reply.json()
        return Account(
            id: try #require(body["id"] as? Int),
            username: username,
            password: password,
            accessToken: try reply.string("accessToken"),
            refreshToken: try reply.string("refreshToken")
        )
    }

    func admin() async throws -> Account {
        try await self.existingAccount(Self.adminUsername, password: Self.adminPassword)
    }
}
