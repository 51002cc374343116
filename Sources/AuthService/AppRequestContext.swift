import Common
import Hummingbird
import NIOCore

/// The auth service's request context: the caller's verified claims on routes behind
/// ``AccessTokenAuthenticator``, and the event loop of its connection.
struct AppRequestContext: AccessTokenContext, EventLoopRequestContext {
    var coreContext: CoreRequestContextStorage
    var identity: AccessTokenClaims?
    let eventLoop: any EventLoop

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.identity = nil
        self.eventLoop = source.channel.eventLoop
    }

    /// Signup and signin bodies are small; anything bigger is refused with 413.
    var maxUploadSize: Int { 16 * 1024 }
}
