/// The three roles of the tutorial, with the ids its `roles` table uses.
package enum Role: String, CaseIterable, Sendable, Codable {
    case user
    case moderator
    case admin

    /// `ROLE_USER`, as the signin response lists roles.
    package var authority: String { "ROLE_" + self.rawValue.uppercased() }

    /// Roles that only an admin may grant at signup.
    package var isPrivileged: Bool { self != .user }
}
