import Common
import Foundation

/// In-memory users for fast handler tests, compared by the same normalised keys as PostgreSQL.
/// Account changes follow the same rules; their atomicity under concurrency is PostgreSQL's to prove.
actor MemoryUserRepository: UserRepository {
    private var users: [Int: UserRecord] = [:]
    private var keys: [Int: AccountKeys] = [:]
    private var createdAt: [Int: Date] = [:]
    private var disabledAt: [Int: Date] = [:]
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
        if self.keys.values.contains(where: {
            $0.username == wanted.username || $0.usernameSkeleton == wanted.usernameSkeleton || $0.usernameLookalike == wanted.usernameLookalike
        }) {
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
        self.users[id] = UserRecord(
            id: id, username: user.username, email: user.email, passwordHash: user.passwordHash, roles: user.roles,
            credentialEpoch: Int.random(in: 1..<(1 << 33)) << CredentialEpoch.counterBits, emailVerified: user.emailVerified
        )
        self.keys[id] = try AccountKeys(username: user.username, email: user.email)
        self.createdAt[id] = Date()
        return id
    }

    func changePassword(userID: Int, replacing current: String, at epoch: Int, with new: String) async throws -> PasswordWrite {
        guard var user = self.users[userID], user.passwordHash == current, !user.disabled else { return .lost }
        guard user.credentialEpoch == epoch else { return .accountChanged }
        user.passwordHash = new
        user.credentialEpoch += 1
        self.users[userID] = user
        return .changed(epoch: user.credentialEpoch)
    }

    func upgradePasswordHash(userID: Int, replacing current: String, with new: String) async throws {
        if self.users[userID]?.passwordHash == current { self.users[userID]?.passwordHash = new }
    }

    func advanceCredentialEpoch(userID: Int) async throws -> Int? {
        self.users[userID]?.credentialEpoch += 1
        return self.users[userID]?.credentialEpoch
    }

    func grant(_ role: Role, toUserID userID: Int) async throws -> Int? {
        guard var user = self.users[userID], !user.roles.contains(role) else { return nil }
        user.roles.append(role)
        user.credentialEpoch += 1
        self.users[userID] = user
        return user.credentialEpoch
    }

    func list(_ query: UserListQuery) async throws -> UserPage {
        let needle = (query.text ?? "").lowercased()
        let matching = self.users.keys.sorted().compactMap { self.summary(of: $0) }.filter {
            needle.isEmpty || $0.username.lowercased().contains(needle) || $0.email.lowercased().contains(needle)
        }
        let following = matching.filter { $0.id > query.after }.dropFirst(query.offset)
        let page = Array(following.prefix(query.limit))
        return UserPage(users: page, total: matching.count, next: following.count > query.limit ? page.last?.id : nil)
    }

    func summary(id: Int) async throws -> UserSummary? {
        self.summary(of: id)
    }

    func apply(
        _ change: AccountChange, toUserID userID: Int, actorID: Int,
        beforeCommit: @escaping @Sendable (UserSummary) async throws -> Void
    ) async throws -> AppliedAccountChange {
        let admins = self.users.keys.compactMap { self.summary(of: $0) }.filter(\.isEnabledAdmin)
        guard admins.contains(where: { $0.id == actorID }) else { throw AccountChangeRefused(code: .actorNotAdmin) }
        guard let before = self.summary(of: userID) else { throw AccountChangeRefused(code: .notFound) }
        if before.isEnabledAdmin, !change.leavesEnabledAdmin(before), !admins.contains(where: { $0.id != userID }) {
            throw AccountChangeRefused(code: .lastAdmin)
        }
        try await beforeCommit(before)
        let epoch = self.users[userID]?.credentialEpoch ?? 0
        switch change {
        case .replaceRoles(let roles):
            self.users[userID]?.roles = roles
            self.users[userID]?.credentialEpoch += 1
        case .disable:
            self.users[userID]?.disabled = true
            self.users[userID]?.credentialEpoch += 1
            if self.disabledAt[userID] == nil { self.disabledAt[userID] = Date() }
        case .enable:
            self.users[userID]?.disabled = false
            self.disabledAt[userID] = nil
        case .delete:
            self.users[userID] = nil
            self.keys[userID] = nil
        }
        return AppliedAccountChange(before: before, epoch: self.users[userID]?.credentialEpoch ?? epoch + 1)
    }

    private func summary(of id: Int) -> UserSummary? {
        guard let user = self.users[id] else { return nil }
        return UserSummary(
            id: id, username: user.username, email: user.email, roles: user.roles,
            disabledAt: self.disabledAt[id], createdAt: self.createdAt[id] ?? Date(timeIntervalSince1970: 0), emailVerified: user.emailVerified
        )
    }
}
