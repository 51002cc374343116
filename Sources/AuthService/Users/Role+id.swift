import Common

extension Role {
    /// The id of the role in the tutorial's `roles` table.
    var id: Int {
        switch self {
        case .user: 1
        case .moderator: 2
        case .admin: 3
        }
    }
}
