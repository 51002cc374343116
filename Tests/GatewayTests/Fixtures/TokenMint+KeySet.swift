@testable import Gateway
import Common
import TestSupport

extension TokenMint {
    /// The key set a gateway loop holds once it has fetched this mint's JWKS.
    func keySet() async throws -> VerificationKeySet {
        try await VerificationKeySet(jwks: self.jwks)
    }
}
