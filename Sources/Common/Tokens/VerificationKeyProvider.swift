import JWTKit

/// Finds the public key for a token's `kid`; `nil` means the key is unknown and the token is refused.
package protocol VerificationKeyProvider: Sendable {
    func keys(for kid: String) async -> JWTKeyCollection?
}

/// Keys known up front: the auth service verifies with its own public keys.
package struct StaticVerificationKeys: VerificationKeyProvider {
    private let byKID: [String: JWTKeyCollection]

    package init(_ jwks: JWKSDocument) async throws {
        var byKID: [String: JWTKeyCollection] = [:]
        for key in jwks.keys {
            byKID[key.kid] = try await key.verificationKeys()
        }
        self.byKID = byKID
    }

    package func keys(for kid: String) async -> JWTKeyCollection? {
        self.byKID[kid]
    }
}
