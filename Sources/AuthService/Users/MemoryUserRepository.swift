import Common

/// In-memory users for fast handler tests.
actor MemoryUserRepository: UserRepository {
    private var users: [Int: UserRecord] = [:]
    private var nextID = 1

    init() {}

    func find(username: String) async throws -> UserRecord? {
        self.users.values.first { $0.username == username }
            ?? self.users.values.first { $0.username.lowercased() == username.lowercased() }
    }

    func find(id: Int) async throws -> UserRecord? {
        self.users[id]
    }

    func conflict(username: String, email: String) async throws -> UserConflict.Field? {
        if self.users.values.contains(where: { $0.username.lowercased() == username.lowercased() }) { return .username }
        if self.users.values.contains(where: { $0.email.lowercased() == email.lowercased() }) { return .email }
        return nil
    }

    func create(_ user: NewUser) async throws -> Int {
        if let field = try await self.conflict(username: user.username, email: user.email) {
            throw UserConflict(field: field)
        }
        let id = self.nextID
        self.nextID += 1
        self.users[id] = UserRecord(id: id, username: user.username, email: user.email, passwordHash: user.passwordHash, roles: user.roles)
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
