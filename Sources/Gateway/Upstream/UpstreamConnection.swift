import NIOCore
import NIOHTTP1

/// Whoever is owed the response of the request in flight on an upstream connection.
protocol UpstreamResponseReceiver: AnyObject {
    func upstreamReceived(_ part: HTTPClientResponsePart)
    /// The connection broke. `responseStarted` says whether any of the response had arrived: before
    /// that, the request may be sent again on a fresh connection if it is idempotent.
    func upstreamFailed(responseStarted: Bool)
}

/// One keep-alive connection to a service, used by one exchange at a time. A request goes out as the
/// bytes the gateway wrote (no `HTTPHeaders` in between, no encoder); the answer comes back through
/// NIO's HTTP/1 decoder.
final class UpstreamConnection {
    let channel: any Channel
    private let handler: UpstreamHandler
    private let wire: UpstreamWireHandler
    private let decoder: HTTPResponseDecoder
    var idleSince: NIODeadline = .now()

    /// What the decoder is told of each request: it pairs every response with its request's method
    /// (a response to HEAD or CONNECT has no body), and the gateway sends neither (HEAD goes upstream
    /// as GET, CONNECT is routed nowhere).
    private static let pairingHead = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")

    init(channel: any Channel, handler: UpstreamHandler, wire: UpstreamWireHandler, decoder: HTTPResponseDecoder) {
        self.channel = channel
        self.handler = handler
        self.wire = wire
        self.decoder = decoder
    }

    /// Binds the connection to the exchange that will use it next (or to none).
    func attach(_ receiver: (any UpstreamResponseReceiver)?) {
        self.handler.receiver = receiver
    }

    /// Sends one complete request: head and body, already encoded.
    func send(_ request: ByteBuffer) {
        self.decoder.write(data: .head(Self.pairingHead))
        self.wire.send(request)
    }

    /// Stops or resumes reading the response, so a slow client is not fed faster than it reads.
    func setReading(_ reading: Bool) {
        try? self.channel.syncOptions?.setOption(.autoRead, value: reading)
        if reading { self.channel.read() }
    }

    func close() {
        self.handler.receiver = nil
        self.channel.close(promise: nil)
    }
}

/// Hands an upstream connection's response parts to its current receiver.
final class UpstreamHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart

    weak var receiver: (any UpstreamResponseReceiver)?
    private var responseStarted = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = self.unwrapInboundIn(data)
        switch part {
        case .head:
            self.responseStarted = true
        case .end:
            self.responseStarted = false
        case .body:
            break
        }
        guard let receiver = self.receiver else {
            // A response nobody asked for: the connection is out of step and useless.
            context.close(promise: nil)
            return
        }
        receiver.upstreamReceived(part)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.fail()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.fail()
        context.close(promise: nil)
    }

    private func fail() {
        guard let receiver = self.receiver else { return }
        self.receiver = nil
        receiver.upstreamFailed(responseStarted: self.responseStarted)
    }
}

/// The handler nearest a service's socket: requests are written here, below the HTTP decoder, which
/// would take anything written through it for an HTTP request part.
final class UpstreamWireHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func send(_ bytes: ByteBuffer) {
        self.context?.writeAndFlush(self.wrapOutboundOut(bytes), promise: nil)
    }
}
