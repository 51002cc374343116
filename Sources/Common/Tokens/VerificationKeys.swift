import JWTKit

/// A public key that verifies access tokens, with the one algorithm it is used with.
package struct VerificationKey: Sendable {
    package let kid: String
    /// The JWKS entry's `alg`; a token whose header names another algorithm is refused.
    package let algorithm: String
    let signer: any JWTAlgorithm

    /// Checks `signature` over the JWS signing input (`header.payload`, as sent).
    func isValidSignature(_ signature: [UInt8], over signingInput: ArraySlice<UInt8>) -> Bool {
        (try? self.signer.verify(signature, signs: signingInput)) ?? false
    }
}

/// The verification keys in force, by `kid`. A plain value: it is swapped whole when the JWKS changes,
/// so a verifier can use it synchronously wherever it lives.
package struct VerificationKeySet: Sendable {
    private let byKID: [String: VerificationKey]

    package init(_ keys: [VerificationKey] = []) {
        self.byKID = Dictionary(keys.map { ($0.kid, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Every entry of `jwks` we accept; entries of other kinds or algorithms are left out.
    package init(jwks: JWKSDocument) async throws {
        var keys: [VerificationKey] = []
        for entry in jwks.keys {
            if let key = try await entry.verificationKey() { keys.append(key) }
        }
        self.init(keys)
    }

    package func key(for kid: String) -> VerificationKey? { self.byKID[kid] }
    package var isEmpty: Bool { self.byKID.isEmpty }
    package var kids: [String] { self.byKID.keys.sorted() }
}
