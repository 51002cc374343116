import Common

extension AccessTokenVerifier {
    /// ``verify(_:)`` with a refusal turned into the contract's answer (401, or 401 "expired").
    func claimsOrRefusal(for token: String) async throws -> AccessTokenClaims {
        do {
            return try await self.verify(token)
        } catch {
            throw error.apiError
        }
    }
}
