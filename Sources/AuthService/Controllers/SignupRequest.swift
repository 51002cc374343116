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
    /// `users.username` and `users.email` are VARCHAR(255), which PostgreSQL counts in code points.
    static let maximumStoredCodePoints = 255
    /// Signin refuses longer passwords outright, so signup must not create one.
    static let maximumPasswordBytes = 1024

    init(fields: RequestFields) throws {
        guard let typedUsername = try fields.string("username"), !typedUsername.isEmpty else {
            throw APIError(.badRequest, "Failed! username is required!")
        }
        // Stored as typed, in NFC: canonically equivalent spellings display alike and store alike.
        let username = try ICU.nfc(typedUsername)
        guard Self.usernameLengths.contains(username.count) else {
            throw APIError(.badRequest, "Failed! username must be 3 to 20 characters!")
        }
        guard username.unicodeScalars.count <= Self.maximumStoredCodePoints else {
            throw APIError(.badRequest, "Failed! username must be at most 255 Unicode code points!")
        }
        do {
            _ = try UsernameProfile.enforce(username)
        } catch let refusal as UsernameProfile.Refusal {
            throw Self.usernameError(refusal)
        }
        guard let typedEmail = try fields.string("email"), !typedEmail.isEmpty else {
            throw APIError(.badRequest, "Failed! email is required!")
        }
        let email = try ICU.nfc(typedEmail)
        guard email.unicodeScalars.count <= Self.maximumEmailLength, Self.isPlausibleEmail(email) else {
            throw APIError(.badRequest, "Failed! email must be a valid email address!")
        }
        guard let password = try fields.string("password"), !password.isEmpty else {
            throw APIError(.badRequest, "Failed! password is required!")
        }
        try Self.checkPassword(password, field: "password")
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

    /// The rule for a new password (signup, password change), with a 400 naming `field`.
    static func checkPassword(_ password: String, field: String) throws {
        guard Self.passwordLengths.contains(password.count) else {
            throw APIError(.badRequest, "Failed! \(field) must be 6 to 128 characters!")
        }
        guard password.utf8.count <= Self.maximumPasswordBytes else {
            throw APIError(.badRequest, "Failed! \(field) must be at most 1024 bytes in UTF-8!")
        }
    }

    var asksForPrivilegedRole: Bool {
        self.roles.contains(where: \.isPrivileged)
    }

    /// One `@`, a non-empty local part, a dotted domain that IDNA accepts as a host name, no
    /// spaces: what the clients' validators accept, and what can be compared reliably.
    static func isPlausibleEmail(_ email: String) -> Bool {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].count <= 64 else { return false }
        let domain = parts[1]
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty }) else { return false }
        guard email.unicodeScalars.allSatisfy({
            !$0.properties.isWhitespace && $0.properties.generalCategory != .control && $0 != "," && $0 != "<" && $0 != ">"
        }) else { return false }
        return EmailAddress.asciiDomain(String(domain)) != nil
    }

    /// The 400 for each rule of the username profile.
    static func usernameError(_ refusal: UsernameProfile.Refusal) -> APIError {
        let message = switch refusal.code {
        case .spaceOrControl: "Failed! username must not contain spaces or control characters!"
        case .invisible: "Failed! username must not contain invisible or formatting characters!"
        case .bidi: "Failed! username mixes right-to-left and left-to-right text in a way that can be misread!"
        case .mixedScripts: "Failed! username must not mix scripts, such as Latin with Cyrillic or Greek!"
        case .empty: "Failed! username is required!"
        default: "Failed! username may contain only letters, digits and ASCII punctuation (no symbols, emoji or styled letters)!"
        }
        return APIError(.badRequest, message)
    }
}
