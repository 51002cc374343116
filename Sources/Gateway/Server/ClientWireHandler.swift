import NIOCore

/// The handler nearest the client's socket, below HTTP: it says when the first bytes of a request
/// arrive (so an idle keep-alive connection can be told from a client stalling mid-head), and it
/// writes answers that belong to no request the HTTP layer has seen (a head that never completed).
final class ClientWireHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Inbound: bytes arrived while armed.
    struct RequestStarted {}
    /// Outbound, from the connection handler: report the next bytes.
    struct Arm {}
    /// Outbound: write this complete response as is, then close.
    struct AnswerAndClose {
        var response: ByteBuffer
    }

    /// A new connection is waiting for its first request.
    private var armed = true

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if self.armed {
            self.armed = false
            context.fireUserInboundEventTriggered(RequestStarted())
        }
        context.fireChannelRead(data)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        switch event {
        case is Arm:
            self.armed = true
            promise?.succeed()
        case let answer as AnswerAndClose:
            let context = context.loopBound
            context.value.writeAndFlush(self.wrapOutboundOut(answer.response)).assumeIsolated().whenComplete { _ in
                context.value.close(promise: nil)
            }
            promise?.succeed()
        default:
            context.triggerUserOutboundEvent(event, promise: promise)
        }
    }
}
