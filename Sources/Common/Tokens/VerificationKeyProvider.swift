/// Where a verifier gets its keys.
package protocol VerificationKeyProvider: Sendable {
    /// The keys in force now.
    func currentKeys() async -> VerificationKeySet
    /// The keys after looking again, for a token that names a `kid` we do not know (a key published
    /// since our last look). Implementations rate-limit the looking.
    func refreshedKeys() async -> VerificationKeySet
}

/// Keys known up front: the auth service verifies with its own public keys.
package struct StaticVerificationKeys: VerificationKeyProvider {
    private let keys: VerificationKeySet

    package init(_ jwks: JWKSDocument) async throws {
        self.keys = try await VerificationKeySet(jwks: jwks)
    }

    package func currentKeys() async -> VerificationKeySet { self.keys }
    package func refreshedKeys() async -> VerificationKeySet { self.keys }
}
