import Common

/// A controller of accounts: it reaches the users, their sessions, the signin back-off, the password
/// hasher, the audit trail and the clock through the service's one ``AuthDependencies``, instead of
/// each carrying its own copy of that bundle.
protocol UsesAuthDependencies: Sendable {
    var dependencies: AuthDependencies { get }
}

extension UsesAuthDependencies {
    var users: any UserRepository { self.dependencies.users }
    var sessions: any SessionStore { self.dependencies.sessions }
    var throttle: any SigninThrottle { self.dependencies.throttle }
    var passwords: PasswordHasher { self.dependencies.passwords }
    var audit: any AuditRecorder { self.dependencies.audit }
    var clock: any WallClock { self.dependencies.clock }
}
