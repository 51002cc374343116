import Hummingbird
import NIOCore

/// The gateway's request context: the client's address, for `X-Forwarded-For`.
struct AppRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }
}
