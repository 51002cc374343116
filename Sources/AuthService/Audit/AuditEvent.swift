import Common
import Foundation

/// One security event of the audit trail. Never a password, token or hash: `details` holds ids,
/// role names, scopes and reasons only.
struct AuditEvent: Sendable, Equatable {
    var type: AuditEventType
    var occurredAt: Date
    /// The account the event is about, where known.
    var userID: Int?
    /// Who did it, for admin actions (and self-service ones, where it equals `userID`).
    var actorID: Int?
    var client: ClientDetails
    var requestID: String?
    var details: [String: JSONValue]

    init(
        _ type: AuditEventType, occurredAt: Date, userID: Int? = nil, actorID: Int? = nil,
        client: ClientDetails = .unknown, requestID: String? = nil, details: [String: JSONValue] = [:]
    ) {
        self.type = type
        self.occurredAt = occurredAt
        self.userID = userID
        self.actorID = actorID
        self.client = client
        self.requestID = requestID
        self.details = details
    }
}

/// An event as stored, with its id (the paging cursor of `GET /api/admin/audit`).
struct StoredAuditEvent: Sendable, Equatable {
    var id: Int64
    var event: AuditEvent
}

/// The kinds of event, as the `type` column and the API write them.
struct AuditEventType: Hashable, Sendable, CustomStringConvertible {
    let rawValue: String

    private init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    /// One of ``all``, or `nil`.
    init?(rawValue: String) {
        guard let known = Self.all.first(where: { $0.rawValue == rawValue }) else { return nil }
        self = known
    }

    var description: String { self.rawValue }

    static let signup = Self("signup")
    static let signinSucceeded = Self("signin_succeeded")
    /// `details.reason`: unknown_user, wrong_password, throttled or disabled (the client is never told).
    static let signinFailed = Self("signin_failed")
    static let refreshReuseDetected = Self("refresh_reuse_detected")
    /// `details.scope`: local or global.
    static let signout = Self("signout")
    static let passwordChanged = Self("password_changed")
    /// `details.old`, `details.new`: role names.
    static let rolesChanged = Self("roles_changed")
    static let userDisabled = Self("user_disabled")
    static let userEnabled = Self("user_enabled")
    static let userDeleted = Self("user_deleted")
    /// `details.sessions`: the ids of the sessions ended.
    static let sessionsEnded = Self("sessions_ended")
    static let lockoutCleared = Self("lockout_cleared")
    /// A reset link was queued: by the user (forgot password) or by an admin (`actorId` set).
    static let passwordResetRequested = Self("password_reset_requested")
    /// A reset link was used: every session ended.
    static let passwordReset = Self("password_reset")
    static let emailVerified = Self("email_verified")
    /// `details.email`: the address asked for.
    static let emailChangeRequested = Self("email_change_requested")
    /// `details.email`: the new address.
    static let emailChanged = Self("email_changed")
    /// A mail given up after its last attempt, or refused for good: `details.mailId`, `kind`, `attempts`, `error`.
    static let mailFailed = Self("mail_failed")

    static let all: [Self] = [
        .signup, .signinSucceeded, .signinFailed, .refreshReuseDetected, .signout, .passwordChanged, .rolesChanged,
        .userDisabled, .userEnabled, .userDeleted, .sessionsEnded, .lockoutCleared, .passwordResetRequested, .passwordReset,
        .emailVerified, .emailChangeRequested, .emailChanged, .mailFailed,
    ]
}

/// What `GET /api/admin/audit` asks for: newest first, before the event `before` when given.
struct AuditQuery: Sendable, Equatable {
    var userID: Int?
    var type: AuditEventType?
    var before: Int64?
    var limit: Int
}

/// Takes events from request handlers without making them wait for the database.
protocol AuditRecorder: Sendable {
    func record(_ event: AuditEvent) async
}

/// The stored trail: written in batches, read newest first, purged by age.
protocol AuditRepository: Sendable {
    /// Appends the events in order, in one statement.
    func insert(_ events: [AuditEvent]) async throws
    func events(_ query: AuditQuery) async throws -> [StoredAuditEvent]
    /// Deletes events older than `date`; returns how many.
    @discardableResult
    func purge(olderThan date: Date) async throws -> Int
}
