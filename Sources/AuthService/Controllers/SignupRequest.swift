import Common

/// A validated signup: every rule the tutorial's clients check, checked again on the server.
struct SignupRequest: Sendable, Equatable {
    var username: String
    var email: String
    var password: String
    /// Never empty: no roles, `[]` and `["user"]` all mean `user`.
    var roles: [Role]

    static let usernameLengths = 3...20
    static let passwordLengths = 6...128
    static let maximumEmailLength = 254

    init(fields: RequestFields) throws {
        guard let username = try fields.string("username"), !username.isEmpty else {
            throw APIError(.badRequest, "Failed! username is required!")
        }
        guard Self.usernameLengths.contains(username.count) else {
            throw APIError(.badRequest, "Failed! username must be 3 to 20 characters!")
        }
        guard username.unicodeScalars.allSatisfy({ !$0.properties.isWhitespace && $0.properties.generalCategory != .control }) else {
            throw APIError(.badRequest, "Failed! username must not contain spaces or control characters!")
        }
        guard let email = try fields.string("email"), !email.isEmpty else {
            throw APIError(.badRequest, "Failed! email is required!")
        }
        guard email.count <= Self.maximumEmailLength, Self.isPlausibleEmail(email) else {
            throw APIError(.badRequest, "Failed! email must be a valid email address!")
        }
        guard let password = try fields.string("password"), !password.isEmpty else {
            throw APIError(.badRequest, "Failed! password is required!")
        }
        guard Self.passwordLengths.contains(password.count) else {
            throw APIError(.badRequest, "Failed! password must be 6 to 128 characters!")
        }
        var roles: [Role] = []
        for name in try fields.strings("roles") ?? [] {
            guard let role = Role(rawValue: name) else {
                throw APIError(.badRequest, "Failed! Role does not exist = \(name)")
            }
            if !roles.contains(role) { roles.append(role) }
        }
        self.username = username
        self.email = email
        self.password = password
        self.roles = roles.isEmpty ? [.user] : roles.sorted { $0.id < $1.id }
    }

    var asksForPrivilegedRole: Bool {
        self.roles.contains(where: \.isPrivileged)
    }

    /// One `@`, a non-empty local part, a dotted domain, no spaces: what the clients' validators accept.
    static func isPlausibleEmail(_ email: String) -> Bool {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].count <= 64 else { return false }
        let domain = parts[1]
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty }) else { return false }
        return email.unicodeScalars.allSatisfy { !$0.properties.isWhitespace && $0.properties.generalCategory != .control && $0 != "," && $0 != "<" && $0 != ">" }
    }
}
