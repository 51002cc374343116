import Hummingbird
import NIOCore

/// The gateway's request context: the client's address, for `X-Forwarded-For`, and the event
/// loop of its connection, where the request's work is kept.
struct AppRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?
    let eventLoop: any EventLoop

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
        self.eventLoop = source.channel.eventLoop
    }
}
