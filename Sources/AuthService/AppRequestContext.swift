import Common
import Hummingbird
import NIOCore
import ServiceKit

/// The auth service's request context: the caller's verified claims on routes behind
/// ``AccessTokenAuthenticator``, and the event loop of its connection.
struct AppRequestContext: AccessTokenContext, EventLoopRequestContext {
    var coreContext: CoreRequestContextStorage
    var identity: AccessTokenClaims?
    let eventLoop: any EventLoop
    /// Larger bodies are refused with 413; ``RequestBodyLimitMiddleware`` sets it from
    /// `MAX_REQUEST_BODY_BYTES`, the setting the gateway enforces, so the documented limit holds
    /// end to end.
    var maxUploadSize: Int

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.identity = nil
        self.eventLoop = source.channel.eventLoop
        self.maxUploadSize = RequestBodyLimitMiddleware.defaultLimit
    }
}
