import Hummingbird

/// A request context that can carry the verified claims of the caller's access token.
package protocol AuthenticatedRequestContext: RequestContext {
    var claims: AccessTokenClaims? { get set }
}

extension AuthenticatedRequestContext {
    /// The caller's claims, or the contract's 403 when no token was presented.
    package func requireClaims() throws -> AccessTokenClaims {
        guard let claims = self.claims else { throw APIError.noToken }
        return claims
    }
}

/// Verifies the access token when one is presented and stores its claims in the context.
///
/// It does not demand a token (signup takes one optionally); routes that need one call
/// `requireClaims()`. A token that fails verification is refused outright, never ignored.
package struct AccessTokenMiddleware<Context: AuthenticatedRequestContext>: RouterMiddleware {
    private let verifier: AccessTokenVerifier

    package init(verifier: AccessTokenVerifier) {
        self.verifier = verifier
    }

    package func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let token = AccessTokenHeader.token(in: request.headers) else {
            return try await next(request, context)
        }
        var context = context
        do {
            context.claims = try await self.verifier.verify(token)
        } catch let error as TokenVerificationError {
            context.logger.debug("Access token refused", metadata: ["reason": "\(error.code)"])
            throw error.apiError
        }
        return try await next(request, context)
    }
}
