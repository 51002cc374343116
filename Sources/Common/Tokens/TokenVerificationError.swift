/// Why an access token was refused. Only `.expired` is told apart to clients (the contract's
/// "Access Token was expired!"), and `.noKeys` is no verdict on the token at all: no key has been
/// loaded yet (a verifier just started, the JWKS not fetched), so the answer is the fail-closed 503.
/// Every other code answers a plain 401.
package struct TokenVerificationError: Error, Equatable, CustomStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Backing: String { case malformed, unacceptableHeader, unknownKey, noKeys, badSignature, wrongClaims, expired, notYetValid }
        private let backing: Backing
        package static let malformed = Code(backing: .malformed)
        package static let unacceptableHeader = Code(backing: .unacceptableHeader)
        package static let unknownKey = Code(backing: .unknownKey)
        package static let noKeys = Code(backing: .noKeys)
        package static let badSignature = Code(backing: .badSignature)
        package static let wrongClaims = Code(backing: .wrongClaims)
        package static let expired = Code(backing: .expired)
        package static let notYetValid = Code(backing: .notYetValid)
        package var description: String { self.backing.rawValue }
    }

    package let code: Code
    package init(_ code: Code) { self.code = code }
    package var description: String { "TokenVerificationError(\(self.code))" }

    /// The client-facing answer for this refusal.
    package var apiError: APIError {
        switch self.code {
        case .expired: .tokenExpired
        case .noKeys: .serviceUnavailable
        default: .unauthorized
        }
    }
}
