import Foundation
import HTTPTypes

/// Where clients put the access token: `x-access-token` (the tutorial) or `Authorization: Bearer`.
package enum AccessTokenHeader {
    package static func token(in headers: HTTPFields) -> String? {
        if let token = headers[.accessToken], !token.isEmpty {
            return token
        }
        guard let authorization = headers[.authorization] else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}
