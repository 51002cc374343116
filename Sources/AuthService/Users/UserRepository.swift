import Common

/// A user as signin needs it.
struct UserRecord: Sendable, Equatable {
    var id: Int
    var username: String
    var email: String
    var passwordHash: String
    var roles: [Role]
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
}
