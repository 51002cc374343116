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
enum AuditEventType: String, CaseIterable, Sendable, CustomStringConvertible {
    case signup
    case signinSucceeded = "signin_succeeded"
    /// `details.reason`: unknown_user, wrong_password, throttled or disabled (the client is never told).
    case signinFailed = "signin_failed"
    case refreshReuseDetected = "refresh_reuse_detected"
    /// `details.scope`: local or global.
    case signout
    case passwordChanged = "password_changed"
    /// `details.old`, `details.new`: role names.
    case rolesChanged = "roles_changed"
    case userDisabled = "user_disabled"
    case userEnabled = "user_enabled"
    case userDeleted = "user_deleted"
    /// `details.sessions`: the ids of the sessions ended.
    case sessionsEnded = "sessions_ended"
    case lockoutCleared = "lockout_cleared"
    /// A reset link was queued: by the user (forgot password) or by an admin (`actorId` set).
    case passwordResetRequested = "password_reset_requested"
    /// A reset link was used: every session ended.
    case passwordReset = "password_reset"
    case emailVerified = "email_verified"
    /// `details.email`: the address asked for.
    case emailChangeRequested = "email_change_requested"
    /// `details.email`: the new address.
    case emailChanged = "email_changed"
    /// A mail given up after its last attempt, or refused for good: `details.mailId`, `kind`, `attempts`, `error`.
    case mailFailed = "mail_failed"
    /// A TOTP factor was confirmed: other sessions ended.
    case mfaEnabled = "mfa_enabled"
    /// Removed by the user with a code (`actorId` = `userId`) or by an admin (sessions ended).
    case mfaDisabled = "mfa_disabled"
    case recoveryCodesRegenerated = "mfa_recovery_codes_regenerated"
    /// A signin completed with a recovery code: `details.recoveryCodesLeft`.
    case recoveryCodeUsed = "mfa_recovery_code_used"

    var description: String { self.rawValue }
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
