/// The normalised forms an account is compared and uniquely indexed under, next to the name and
/// email it displays (`users.username_key`, `username_skeleton`, `username_lookalike`, `email_key`).
struct AccountKeys: Sendable, Equatable {
    /// ``UsernameProfile/key(of:)``: signin finds the account under it.
    var username: String
    /// UTS #39 skeleton of the key: no two accounts may look alike once case-folded.
    var usernameSkeleton: String
    /// ``UsernameProfile/lookalikeSkeleton(of:)`` of the name as typed: nor as displayed.
    var usernameLookalike: String
    /// ``EmailAddress/key(of:)``.
    var email: String

    init(username: String, email: String) throws {
        self.username = try UsernameProfile.key(of: username)
        self.usernameSkeleton = try UsernameProfile.skeleton(ofKey: self.username)
        self.usernameLookalike = try UsernameProfile.lookalikeSkeleton(of: username)
        self.email = try EmailAddress.key(of: email)
    }
}

/// What PostgreSQL's `text` can hold: anything but U+0000, which it refuses with an error.
enum PostgresText {
    static func canStore(_ text: String) -> Bool {
        !text.utf8.contains(0)
    }
}
