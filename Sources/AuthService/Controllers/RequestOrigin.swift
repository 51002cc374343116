import Common
import Foundation
import HTTPTypes
import Hummingbird

/// Where a request came from, for session details and audit events: the client address the gateway
/// determined (it replaces any `X-Forwarded-For` a client sent with that one address), the
/// `User-Agent` it forwarded, and the request id.
struct RequestOrigin: Sendable {
    var client: ClientDetails
    var requestID: String?

    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    init(_ request: Request) {
        let forwarded = request.headers[values: Self.forwardedFor].last?
            .split(separator: ",").last.map { $0.trimmingCharacters(in: .whitespaces) }
        self.client = ClientDetails(ip: forwarded, userAgent: request.headers[.userAgent])
        self.requestID = request.headers[.requestID]
    }

    /// An audit event of this request, happening now.
    func event(
        _ type: AuditEventType, userID: Int?, actorID: Int? = nil, details: [String: JSONValue] = [:], clock: any WallClock
    ) -> AuditEvent {
        AuditEvent(
            type, occurredAt: Date(timeIntervalSince1970: clock.now()), userID: userID, actorID: actorID,
            client: self.client, requestID: self.requestID, details: details
        )
    }
}
