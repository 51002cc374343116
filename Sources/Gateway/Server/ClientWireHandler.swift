import NIOCore

/// The handler nearest the client's socket, below HTTP: it says when the first bytes of a request
/// arrive (so an idle keep-alive connection can be told from a client stalling mid-head), and it
/// writes answers that belong to no request the HTTP layer has seen (a head that never completed).
/// Inbound only, so responses do not pass through it; the connection handler calls it directly.
final class ClientWireHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// Inbound: bytes arrived while armed.
    struct RequestStarted {}

    /// A new connection is waiting for its first request.
    private var armed = true
    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if self.armed {
            self.armed = false
            context.fireUserInboundEventTriggered(RequestStarted())
        }
        context.fireChannelRead(data)
    }

    /// Reports the next bytes that arrive.
    func arm() {
        self.armed = true
    }

    /// Writes `response` (a complete HTTP response, already encoded) below the HTTP layer, then closes.
    func answerAndClose(_ response: ByteBuffer) {
        guard let context = self.context else { return }
        context.writeAndFlush(NIOAny(response)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
