import Foundation
import HTTPTypes

/// The one error type that reaches clients: a status and the contract's `{"message": ...}` body.
/// The gateway writes it itself; the services throw it to Hummingbird (`ServiceKit`'s conformance).
///
/// Internal causes never travel in it; log them where they happen.
package struct APIError: Error, Sendable, Equatable {
    package let status: HTTPResponse.Status
    package let message: String
    package let extraHeaders: HTTPFields
    package let extraFields: [String: String?]

    package init(
        _ status: HTTPResponse.Status,
        _ message: String,
        headers: HTTPFields = [:],
        extraFields: [String: String?] = [:]
    ) {
        self.status = status
        self.message = message
        self.extraHeaders = headers
        self.extraFields = extraFields
    }

    /// `{"message": ...}` plus any extra fields (the signin 401 carries `"accessToken": null`).
    package func jsonBody() -> [UInt8] {
        var object: [String: JSONValue] = ["message": .string(self.message)]
        for (key, value) in self.extraFields {
            object[key] = value.map(JSONValue.string) ?? .null
        }
        return (try? JSONEncoder.sortedKeys.encode(JSONValue.object(object))).map(Array.init) ?? Array(
            #"{"message":"Internal server error"}"#.utf8
        )
    }
}

extension APIError {
    package static let internalError = APIError(.internalServerError, "Internal server error")
    package static let noToken = APIError(.forbidden, "No token provided!")
    package static let unauthorized = APIError(.unauthorized, "Unauthorized!")
    package static let tokenExpired = APIError(.unauthorized, "Unauthorized! Access Token was expired!")
    package static let requireAdmin = APIError(.forbidden, "Require Admin Role!")
    package static let requireModerator = APIError(.forbidden, "Require Moderator Role!")
    package static let notFound = APIError(.notFound, "Not found")
    package static let malformedBody = APIError(.badRequest, "Malformed request body")
    package static let bodyTooLarge = APIError(.contentTooLarge, "Request body is too large")
    package static let serviceUnavailable = APIError(.serviceUnavailable, "Service temporarily unavailable")

    /// 429 with `Retry-After`.
    package static func tooManyRequests(retryAfter: Int) -> APIError {
        APIError(.tooManyRequests, "Too many requests, try again in \(retryAfter) seconds.", headers: [.retryAfter: String(retryAfter)])
    }
}

extension JSONEncoder {
    /// Deterministic output, for bodies and tests alike.
    package static let sortedKeys: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
