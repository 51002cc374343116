import Common
import Logging

/// Makes sure the configured first admin exists and holds `admin`. Idempotent; an existing
/// account keeps its password.
struct BootstrapAdminAccount: Sendable {
    let admin: BootstrapAdmin
    let users: any UserRepository
    let sessions: any SessionStore
    let passwords: PasswordHasher

    func ensure(logger: Logger) async throws {
        if let existing = try await self.users.find(username: self.admin.username) {
            if !existing.roles.contains(.admin), let epoch = try await self.users.grant(.admin, toUserID: existing.id) {
                // A role change ends the user's sessions: tokens carrying the old roles stop working.
                try await self.sessions.revokeAllSessions(userID: existing.id, epoch: epoch)
                logger.notice("Granted admin to the bootstrap account", metadata: ["user_id": "\(existing.id)"])
            }
            return
        }
        // A new account obeys the rules of signup; an existing one (found above) keeps its name.
        guard (try? UsernameProfile.enforce(self.admin.username)) != nil else {
            throw ConfigurationError(message: "BOOTSTRAP_ADMIN_USERNAME is not a valid username (see docs/identifiers.md)")
        }
        let hash = try await self.passwords.hash(self.admin.password)
        do {
            let id = try await self.users.create(
                NewUser(username: try ICU.nfc(self.admin.username), email: try ICU.nfc(self.admin.email), passwordHash: hash, roles: [.user, .admin],
                        emailVerified: true)
            )
            logger.notice("Created the bootstrap admin account", metadata: ["user_id": "\(id)"])
        } catch is UserConflict {
            // Another replica created it at the same moment, or the email belongs to someone else.
            if let created = try await self.users.find(username: self.admin.username) {
                try await self.users.grant(.admin, toUserID: created.id)
            } else {
                logger.error("Bootstrap admin not created: its email is already used by another account")
            }
        }
    }
}
