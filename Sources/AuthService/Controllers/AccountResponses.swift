import Common
import Foundation
import Hummingbird

/// Times in the account API's answers: ISO 8601 in UTC, with milliseconds where they matter.
enum APITime {
    static func string(_ date: Date, milliseconds: Bool = false) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: milliseconds))
    }

    static func string(unixSeconds: Int) -> String {
        self.string(Date(timeIntervalSince1970: Double(unixSeconds)))
    }
}

/// `GET /api/auth/me`.
struct ProfileResponse: ResponseEncodable {
    var id: Int
    var username: String
    var email: String
    var roles: [String]
    var emailVerified: Bool
}

/// The answer of a password change: the same session, with a fresh pair (in cookies only, without
/// the tokens, in `SESSION_COOKIES=only` mode).
struct PasswordChangedResponse: ResponseEncodable {
    var message: String
    var accessToken: String?
    var refreshToken: String?
}

/// One session in a session list; absent details are `null`, never left out.
struct SessionResponse: ResponseEncodable {
    var id: String
    var createdAt: String
    var lastUsedAt: String
    var userAgent: String?
    var ip: String?
    var current: Bool

    private enum CodingKeys: String, CodingKey {
        case id, createdAt, lastUsedAt, userAgent, ip, current
    }

    init(_ session: SessionSummary, current: Bool) {
        self.id = session.id
        self.createdAt = APITime.string(unixSeconds: session.createdAt)
        self.lastUsedAt = APITime.string(unixSeconds: session.lastUsedAt)
        self.userAgent = session.client.userAgent
        self.ip = session.client.ip
        self.current = current
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.id, forKey: .id)
        try container.encode(self.createdAt, forKey: .createdAt)
        try container.encode(self.lastUsedAt, forKey: .lastUsedAt)
        try container.encode(self.userAgent, forKey: .userAgent)
        try container.encode(self.ip, forKey: .ip)
        try container.encode(self.current, forKey: .current)
    }
}

/// A JSON array as a whole answer.
struct ListResponse<Element: Encodable & Sendable>: ResponseEncodable {
    var elements: [Element]

    func encode(to encoder: any Encoder) throws {
        try self.elements.encode(to: encoder)
    }
}

/// A user in the admin's list.
struct UserListItem: ResponseEncodable {
    var id: Int
    var username: String
    var email: String
    var roles: [String]
    var disabled: Bool
    var createdAt: String
    var emailVerified: Bool

    init(_ user: UserSummary) {
        self.id = user.id
        self.username = user.username
        self.email = user.email
        self.roles = user.roles.map(\.authority)
        self.disabled = user.disabledAt != nil
        self.createdAt = APITime.string(user.createdAt)
        self.emailVerified = user.emailVerified
    }
}

/// `GET /api/admin/users`: `total` is exact when `totalExact`, else an estimate; `next` is the `after`
/// of the following page (`null` at the end).
struct UserListResponse: ResponseEncodable {
    var users: [UserListItem]
    var total: Int
    var totalExact: Bool
    var next: Int?

    private enum CodingKeys: String, CodingKey { case users, total, totalExact, next }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.users, forKey: .users)
        try container.encode(self.total, forKey: .total)
        try container.encode(self.totalExact, forKey: .totalExact)
        try container.encode(self.next, forKey: .next)
    }
}

/// `GET /api/admin/users/{id}`: the list's fields, the signin back-off and the live session count.
struct UserDetailResponse: ResponseEncodable {
    var user: UserListItem
    var lockedUntil: String?
    var sessions: Int

    private enum CodingKeys: String, CodingKey {
        case lockedUntil, sessions
    }

    /// The list item's fields, then this view's own, in one object (`lockedUntil` as `null` when free).
    func encode(to encoder: any Encoder) throws {
        try self.user.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.lockedUntil, forKey: .lockedUntil)
        try container.encode(self.sessions, forKey: .sessions)
    }
}

/// One audit event as the admin reads it; absent values are `null`.
struct AuditEventResponse: ResponseEncodable {
    var stored: StoredAuditEvent

    private enum CodingKeys: String, CodingKey {
        case id, occurredAt, type, userId, actorId, ip, userAgent, requestId, details
    }

    func encode(to encoder: any Encoder) throws {
        let event = self.stored.event
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.stored.id, forKey: .id)
        try container.encode(APITime.string(event.occurredAt, milliseconds: true), forKey: .occurredAt)
        try container.encode(event.type.rawValue, forKey: .type)
        try container.encode(event.userID, forKey: .userId)
        try container.encode(event.actorID, forKey: .actorId)
        try container.encode(event.client.ip, forKey: .ip)
        try container.encode(event.client.userAgent, forKey: .userAgent)
        try container.encode(event.requestID, forKey: .requestId)
        try container.encode(event.details, forKey: .details)
    }
}

/// `GET /api/admin/audit`: newest first; `next` is the `before` of the following page (`null` at the end).
struct AuditPageResponse: ResponseEncodable {
    var events: [AuditEventResponse]
    var next: Int64?

    private enum CodingKeys: String, CodingKey { case events, next }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.events, forKey: .events)
        try container.encode(self.next, forKey: .next)
    }
}
