import NIOCore
import NIOHTTP1

/// Whoever is owed the response of the request in flight on an upstream connection.
protocol UpstreamResponseReceiver: AnyObject {
    func upstreamReceived(_ part: HTTPClientResponsePart)
    /// The connection broke. `responseStarted` says whether any of the response had arrived: before
    /// that, the request may be sent again on a fresh connection if it is idempotent.
    func upstreamFailed(responseStarted: Bool)
}

/// One keep-alive connection to a service, used by one exchange at a time.
final class UpstreamConnection {
    let channel: any Channel
    private let handler: UpstreamHandler
    var idleSince: NIODeadline = .now()

    init(channel: any Channel, handler: UpstreamHandler) {
        self.channel = channel
        self.handler = handler
    }

    /// Binds the connection to the exchange that will use it next (or to none).
    func attach(_ receiver: (any UpstreamResponseReceiver)?) {
        self.handler.receiver = receiver
    }

    func write(_ part: HTTPClientRequestPart, promise: EventLoopPromise<Void>? = nil) {
        self.channel.write(part, promise: promise)
    }

    func flush() {
        self.channel.flush()
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
