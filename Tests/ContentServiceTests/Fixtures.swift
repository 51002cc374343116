@testable import ContentService
import Common
import Foundation
import Hummingbird
import HummingbirdTesting
import TestSupport

extension TokenMint {
    /// The content service's application, built by the same `buildRouter` as in production, over
    /// this mint's public key.
    func application() async throws -> some ApplicationProtocol {
        let verifier = AccessTokenVerifier(
            keys: try await StaticVerificationKeys(self.jwks),
            issuer: testIssuer,
            audience: testAudience
        )
        return Application(router: buildRouter(verifier: verifier))
    }
}

extension TestClientProtocol {
    /// GET with the given headers; returns status and body text.
    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> (status: HTTPResponse.Status, body: String) {
        try await self.execute(uri: uri, method: .get, headers: headers) { response in
            (response.status, String(buffer: response.body))
        }
    }
}

/// A header name that HTTPTypes has no constant for.
func headerName(_ name: String) -> HTTPFields.Element.Name {
    HTTPFields.Element.Name(name)!
}
