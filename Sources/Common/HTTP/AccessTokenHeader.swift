import Foundation
import HTTPTypes

/// Where a service reads the access token: `Authorization: Bearer`, the one header the gateway writes
/// with the token it checked (clients may send `x-access-token`, as the tutorial does, or `Bearer`;
/// the gateway forwards either as this one and removes every other credential header).
package enum AccessTokenHeader {
    package static func token(in headers: HTTPFields) -> String? {
        guard let authorization = headers[.authorization] else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    /// The header a request to a service carries `token` in.
    package static func field(_ token: String) -> HTTPField {
        HTTPField(name: .authorization, value: "Bearer \(token)")
    }
}
