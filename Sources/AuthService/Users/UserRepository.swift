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
    /// Advanced by every change a session or token rests on (``CredentialIssuer``).
    var credentialEpoch: Int = 0
    /// The address was confirmed by a link sent to it (or predates verification).
    var emailVerified: Bool = true
}

/// A user as an admin sees them.
struct UserSummary: Sendable, Equatable {
    var id: Int
    var username: String
    var email: String
    var roles: [Role]
    var disabledAt: Date?
    var createdAt: Date
    var emailVerified: Bool = true
}

/// Which users an admin's list asks for: those whose name or email contains `text`
/// (case-insensitively) when given, by id, from above `after`, skipping `offset` of them.
struct UserListQuery: Sendable, Equatable {
    var text: String?
    var after: Int = 0
    var offset: Int = 0
    var limit: Int

    /// How many matching users are counted exactly; beyond, the total is the planner's estimate.
    static let exactTotalLimit = 10_000
}

/// One page of the user list, how many users match in all, and where the next page starts.
struct UserPage: Sendable, Equatable {
    var users: [UserSummary]
    var total: Int
    /// False when more than ``UserListQuery/exactTotalLimit`` users match: `total` is then an estimate.
    var totalIsExact: Bool = true
    /// The `after` of the following page: the last id of this one; `nil` when no user follows.
    var next: Int?
}

/// What a new account is made of.
struct NewUser: Sendable {
    var username: String
    var email: String
    var passwordHash: String
    var roles: [Role]
    /// Verified from the start: only the operator's own bootstrap admin.
    var emailVerified = false
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
    /// Replaces the password hash and advances the credential epoch, only while the account is still
    /// as read: the hash `current` (the one the current password was checked against), the epoch
    /// `epoch`, enabled. Of concurrent changes from one password exactly one wins. Throws
    /// ``DatabaseUnavailable`` when the write came too late to count, so a caller never reports a
    /// change that did not happen.
    func changePassword(userID: Int, replacing current: String, at epoch: Int, with new: String) async throws -> PasswordWrite
    /// Replaces a hash by a stronger one of the same password (a bcrypt hash at its first signin), only
    /// while it is still `current`; the epoch stays, sessions go on. Best effort: nothing when it lost.
    func upgradePasswordHash(userID: Int, replacing current: String, with new: String) async throws
    /// Advances the credential epoch alone (every session ends: an admin's "end all", a global
    /// signout); the new epoch, or `nil` when there is no such user.
    func advanceCredentialEpoch(userID: Int) async throws -> Int?
    /// Grants a role if the user lacks it (bootstrap admin), advancing the epoch; the new epoch when
    /// granted, `nil` when the user already had it.
    @discardableResult
    func grant(_ role: Role, toUserID userID: Int) async throws -> Int?
    /// Users by id, as `query` asks (keyset paging on the id, so a page costs the same at any depth).
    func list(_ query: UserListQuery) async throws -> UserPage
    func summary(id: Int) async throws -> UserSummary?
    /// Applies an admin's change under the rule that at least one enabled admin remains, checked and
    /// applied atomically with every other such change (so concurrent demotions cannot remove the
    /// last admin). `beforeCommit` runs with the account as it was, after the checks and before the
    /// change becomes visible: a failure there changes nothing. Every change but enable advances the
    /// credential epoch with it. Returns the account as it was and the epoch after the change; throws
    /// ``AccountChangeRefused``.
    func apply(
        _ change: AccountChange, toUserID userID: Int, actorID: Int,
        beforeCommit: @escaping @Sendable (UserSummary) async throws -> Void
    ) async throws -> AppliedAccountChange
}

/// What became of a password write.
enum PasswordWrite: Sendable, Equatable {
    /// Stored, under this new epoch.
    case changed(epoch: Int)
    /// The hash was replaced (another password change won) or the account disabled: nothing written.
    case lost
    /// The hash is the same but the epoch moved (roles changed, sessions ended): nothing written; the
    /// current password still holds, so the account may be read again and the write retried.
    case accountChanged
}

/// An admin's change as committed: the account before it, and its credential epoch after it.
struct AppliedAccountChange: Sendable, Equatable {
    var before: UserSummary
    var epoch: Int
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
