import Common
import Hummingbird

/// Lets a request to a protected route through only with a valid, unrevoked access token: 403
/// without one, 401 for a bad, expired or revoked one, 503 when revocation cannot be checked (the
/// gateway fails closed). Role decisions stay with the service that owns the route.
struct AccessTokenGate: Sendable {
    let verifier: AccessTokenVerifier
    /// `nil` only when benchmarking the cost of the check (`REVOCATION_CHECK=off`).
    let revocations: RevocationList?

    func check(_ request: Request, context: AppRequestContext) async throws {
        guard let token = AccessTokenHeader.token(in: request.headers) else {
            throw APIError.noToken
        }
        let claims: AccessTokenClaims
        do {
            claims = try await self.verifier.verify(token)
        } catch let error as TokenVerificationError {
            context.logger.debug("Access token refused", metadata: ["reason": "\(error.code)"])
            AuthEvents.tokenRefused(error.code.description)
            throw error.apiError
        }
        guard let revocations = self.revocations else { return }
        let revoked: Bool
        do {
            revoked = try await revocations.isRevoked(claims)
        } catch {
            context.logger.error("Revocation check failed: refusing", metadata: ["error": "\(error)"])
            AuthEvents.redisUnavailable()
            throw APIError.serviceUnavailable
        }
        if revoked {
            context.logger.info("Revoked access token refused", metadata: ["user_id": "\(claims.id)"])
            AuthEvents.tokenRefused("revoked")
            throw APIError.unauthorized
        }
    }
}
