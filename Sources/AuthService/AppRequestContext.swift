import Common
import Hummingbird

/// The auth service's request context: the caller's verified claims, when a token came along.
struct AppRequestContext: AuthenticatedRequestContext {
    var coreContext: CoreRequestContextStorage
    var claims: AccessTokenClaims?
    /// Larger bodies are refused with 413; ``RequestBodyLimitMiddleware`` sets it from
    /// `MAX_REQUEST_BODY_BYTES`, the setting the gateway enforces, so the documented limit holds
    /// end to end.
    var maxUploadSize: Int

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.claims = nil
        self.maxUploadSize = RequestBodyLimitMiddleware.defaultLimit
    }
}
