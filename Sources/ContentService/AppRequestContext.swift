import Common
import Hummingbird
import ServiceKit
import NIOCore

/// The content service's request context: the caller's verified claims, if any, and the event loop
/// of its connection, where the request's work is kept.
struct AppRequestContext: AccessTokenContext, EventLoopRequestContext {
    var coreContext: CoreRequestContextStorage
    var identity: AccessTokenClaims?
    let eventLoop: any EventLoop

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.identity = nil
        self.eventLoop = source.channel.eventLoop
    }

    /// Content requests carry no body worth more than this.
    var maxUploadSize: Int { 16 * 1024 }
}
