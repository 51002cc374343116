import Common
import Hummingbird

/// The content service's request context: the caller's verified claims, if any.
struct AppRequestContext: AuthenticatedRequestContext {
    var coreContext: CoreRequestContextStorage
    var claims: AccessTokenClaims?

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.claims = nil
    }

    /// Content requests carry no body worth more than this.
    var maxUploadSize: Int { 16 * 1024 }
}
