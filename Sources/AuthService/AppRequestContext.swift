import Common
import Hummingbird

/// The auth service's request context: the caller's verified claims, when a token came along.
struct AppRequestContext: AuthenticatedRequestContext {
    var coreContext: CoreRequestContextStorage
    var claims: AccessTokenClaims?

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.claims = nil
    }

    /// Signup and signin bodies are small; anything bigger is refused with 413.
    var maxUploadSize: Int { 16 * 1024 }
}
