import Common
import Hummingbird

/// `GET /api/admin/audit`: the audit trail, newest first, filtered by user and type, paged by event id.
struct AdminAuditController: Sendable {
    let trail: any AuditRepository

    /// On a group whose routes already require an unrevoked admin's token.
    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("audit", use: self.events)
    }

    @Sendable func events(_ request: Request, context: AppRequestContext) async throws -> AuditPageResponse {
        var type: AuditEventType?
        if let name = request.uri.queryParameters.get("type") {
            guard let known = AuditEventType(rawValue: String(name)) else {
                throw APIError(.badRequest, "type must be one of: " + AuditEventType.allCases.map(\.rawValue).joined(separator: ", "))
            }
            type = known
        }
        let query = AuditQuery(
            userID: try RequestParameters.positiveInteger(request, "userId"),
            type: type,
            before: try RequestParameters.positiveInteger(request, "before", maximum: Int(Int64.max / 2)).map(Int64.init),
            limit: try RequestParameters.limit(request)
        )
        let found = try await self.trail.events(query)
        return AuditPageResponse(
            events: found.map(AuditEventResponse.init),
            next: found.count == query.limit ? found.last?.id : nil
        )
    }
}
