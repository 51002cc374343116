import Common
import Hummingbird

/// Lets a request to a protected route through only with a valid access token: 403 without one,
/// 401 for a bad or expired one. Role decisions stay with the service that owns the route.
struct AccessTokenGate: Sendable {
    let verifier: AccessTokenVerifier

    func check(_ request: Request, context: AppRequestContext) async throws {
        guard let token = AccessTokenHeader.token(in: request.headers) else {
            throw APIError.noToken
        }
        do {
            _ = try await self.verifier.verify(token)
        } catch let error as TokenVerificationError {
            context.logger.debug("Access token refused", metadata: ["reason": "\(error.code)"])
            throw error.apiError
        }
    }
}
