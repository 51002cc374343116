import Common
import Hummingbird
import HummingbirdAuth

/// The identity of a request that came with a valid access token: its verified claims.
package typealias AccessTokenContext = AuthRequestContext<AccessTokenClaims>

/// Authenticates a request by its access token (`x-access-token` or `Authorization: Bearer`), in
/// hummingbird-auth's shape: the identity is the token's claims. A request without a token passes on
/// unidentified (``RequireAccessToken`` refuses it where one is needed); a bad token is refused at
/// once (401, or 401 "expired").
package struct AccessTokenAuthenticator<Context: AccessTokenContext>: AuthenticatorMiddleware {
    package typealias Identity = AccessTokenClaims
    private let verifier: AccessTokenVerifier

    package init(verifier: AccessTokenVerifier) {
        self.verifier = verifier
    }

    package func authenticate(request: Request, context: Context) async throws -> AccessTokenClaims? {
        guard let token = AccessTokenHeader.token(in: request.headers) else { return nil }
        do {
            return try await self.verifier.verify(token)
        } catch {
            context.logger.debug("Access token refused", metadata: ["reason": "\(error.code)"])
            throw error.apiError
        }
    }
}

/// Refuses a request that no authenticator identified: the contract's 403 "No token provided!".
package struct RequireAccessToken<Context: AccessTokenContext>: RouterMiddleware {
    package init() {}

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard context.identity != nil else { throw APIError.noToken }
        return try await next(request, context)
    }
}

extension AuthRequestContext where Identity == AccessTokenClaims {
    /// The caller's claims, on a route behind ``RequireAccessToken``.
    package func requireClaims() throws -> AccessTokenClaims {
        guard let claims = self.identity else { throw APIError.noToken }
        return claims
    }
}
