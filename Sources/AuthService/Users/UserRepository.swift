import Common
import Foundation

/// A user as signin needs it.
struct UserRecord: Sendable, Equatable {
    var id: Int
    var username: String
    var email: String
    var passwordHash: String
    var roles: [Role]
    /// Disabled by an admin: signin and refresh are refused.
    var disabled: Bool = false
}

/// A user as an admin sees them.
struct UserSummary: Sendable, Equatable {
    var id: Int
    var username: String
    var email: String
    var roles: [Role]
    var disabledAt: Date?
    var createdAt: Date
}

/// One page of the user list, and how many users match in all.
struct UserPage: Sendable, Equatable {
    var users: [UserSummary]
    var total: Int
}

/// What a new account is made of.
struct NewUser: Sendable {
    var username: String
    var email: String
    var passwordHash: String
    var roles: [Role]
}

/// Which of the unique fields a signup collided on.
struct UserConflict: Error, Equatable {
    struct Field: Hashable, Sendable {
        private enum Backing { case username, email }
        private let backing: Backing
        static let username = Field(backing: .username)
        static let email = Field(backing: .email)
    }

    var field: Field
}

/// Users, credentials and roles. Usernames are unique by their PRECIS key and by its confusable
/// skeleton, emails by their case-folded, IDNA-normalised key (``AccountKeys``).
protocol UserRepository: Sendable {
    /// The user whose name has the same key as `username` (any spelling that normalises alike).
    func find(username: String) async throws -> UserRecord?
    func find(id: Int) async throws -> UserRecord?
    /// The first field already taken, if any (a friendly pre-check; `create` enforces it anyway).
    func conflict(username: String, email: String) async throws -> UserConflict.Field?
    /// Creates the user with its roles atomically; throws ``UserConflict`` on a duplicate.
    func create(_ user: NewUser) async throws -> Int
    func updatePasswordHash(userID: Int, hash: String) async throws
    /// Grants a role if the user lacks it (bootstrap admin).
    func grant(_ role: Role, toUserID userID: Int) async throws
    /// Users by id, those whose name or email contains `text` (case-insensitively) when given.
    func list(matching text: String?, limit: Int, offset: Int) async throws -> UserPage
    func summary(id: Int) async throws -> UserSummary?
    /// Applies an admin's change under the rule that at least one enabled admin remains, checked and
    /// applied atomically with every other such change (so concurrent demotions cannot remove the
    /// last admin). `beforeCommit` runs with the account as it was, after the checks and before the
    /// change becomes visible: a failure there changes nothing. Returns the account as it was;
    /// throws ``AccountChangeRefused``.
    func apply(
        _ change: AccountChange, toUserID userID: Int, actorID: Int,
        beforeCommit: @escaping @Sendable (UserSummary) async throws -> Void
    ) async throws -> UserSummary
}

/// What an admin can do to an account.
enum AccountChange: Sendable, Equatable {
    case replaceRoles([Role])
    case disable
    case enable
    case delete

    /// Whether `account` is an enabled admin once the change is applied.
    func leavesEnabledAdmin(_ account: UserSummary) -> Bool {
        switch self {
        case .replaceRoles(let roles): roles.contains(.admin) && account.disabledAt == nil
        case .disable, .delete: false
        case .enable: account.roles.contains(.admin)
        }
    }
}

/// Why an admin's change was not applied.
struct AccountChangeRefused: Error, Equatable {
    struct Code: Hashable, Sendable {
        private enum Backing { case notFound, lastAdmin, actorNotAdmin }
        private let backing: Backing
        static let notFound = Code(backing: .notFound)
        /// It would leave no enabled admin.
        static let lastAdmin = Code(backing: .lastAdmin)
        /// The caller is no longer an enabled admin (demoted or disabled meanwhile).
        static let actorNotAdmin = Code(backing: .actorNotAdmin)
    }

    var code: Code
}

extension UserSummary {
    var isEnabledAdmin: Bool { self.roles.contains(.admin) && self.disabledAt == nil }
}
