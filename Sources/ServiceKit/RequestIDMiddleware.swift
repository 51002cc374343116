import Common
import HTTPTypes
import Hummingbird
import Logging

extension HTTPField.Name {
    package static let requestID = Self("X-Request-Id")!
    package static let accessToken = Self("x-access-token")!
}

/// Carries one request id through logs and across services, echoing it on the response.
///
/// An incoming id is kept when it is short and printable (the gateway sets it; an edge proxy may too),
/// otherwise a new one is made, so a client cannot inject log lines through it.
package struct RequestIDMiddleware<Context: RequestContext>: RouterMiddleware {
    package init() {}

    package func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let id = Self.acceptableID(request.headers[.requestID]) ?? context.id
        var head = request.head
        head.headerFields[.requestID] = id
        let request = Request(head: head, body: request.body)
        var context = context
        context.logger[metadataKey: "request_id"] = .string(id)
        var response = try await next(request, context)
        response.headers[.requestID] = id
        return response
    }

    static func acceptableID(_ value: String?) -> String? {
        guard let value, (1...128).contains(value.utf8.count),
            value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        else { return nil }
        return value
    }
}
