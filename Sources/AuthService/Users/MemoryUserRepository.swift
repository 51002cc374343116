import Common

/// In-memory users for fast handler tests, compared by the same normalised keys as PostgreSQL.
actor MemoryUserRepository: UserRepository {
    private var users: [Int: UserRecord] = [:]
    private var keys: [Int: AccountKeys] = [:]
    private var nextID = 1

    init() {}

    func find(username: String) async throws -> UserRecord? {
        let key = try UsernameProfile.key(of: username)
        return self.keys.first { $0.value.username == key }.flatMap { self.users[$0.key] }
    }

    func find(id: Int) async throws -> UserRecord? {
        self.users[id]
    }

    func conflict(username: String, email: String) async throws -> UserConflict.Field? {
        let wanted = try AccountKeys(username: username, email: email)
        if self.keys.values.contains(where: { $0.username == wanted.username || $0.usernameSkeleton == wanted.usernameSkeleton }) {
            return .username
        }
        if self.keys.values.contains(where: { $0.email == wanted.email }) { return .email }
        return nil
    }

    func create(_ user: NewUser) async throws -> Int {
        if let field = try await self.conflict(username: user.username, email: user.email) {
            throw UserConflict(field: field)
        }
        let id = self.nextID
        self.nextID += 1
        self.users[id] = UserRecord(id: id, username: user.username, email: user.email, passwordHash: user.passwordHash, roles: user.roles)
        self.keys[id] = try AccountKeys(username: user.username, email: user.email)
        return id
    }

    func updatePasswordHash(userID: Int, hash: String) async throws {
        self.users[userID]?.passwordHash = hash
    }

    func grant(_ role: Role, toUserID userID: Int) async throws {
        guard var user = self.users[userID], !user.roles.contains(role) else { return }
        user.roles.append(role)
        self.users[userID] = user
    }
}
