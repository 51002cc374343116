/// Why an access token was refused. Only `.expired` is told apart to clients (the contract's
/// "Access Token was expired!"); every other code answers a plain 401.
package struct TokenVerificationError: Error, Equatable, CustomStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Backing: String { case malformed, unacceptableHeader, unknownKey, badSignature, wrongClaims, expired, notYetValid }
        private let backing: Backing
        package static let malformed = Code(backing: .malformed)
        package static let unacceptableHeader = Code(backing: .unacceptableHeader)
        package static let unknownKey = Code(backing: .unknownKey)
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
        self.code == .expired ? .tokenExpired : .unauthorized
    }
}
