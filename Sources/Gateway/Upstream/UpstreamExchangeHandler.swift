import NIOCore
import NIOHTTP1

/// A bodiless request to send and the promise its buffered response fulfils.
struct UpstreamExchange: Sendable {
    var head: HTTPRequestHead
    var promise: EventLoopPromise<UpstreamResponse>
}

/// A complete upstream response, body buffered (the fast path serves small answers only).
struct UpstreamResponse: Sendable {
    var head: HTTPResponseHead
    var body: ByteBuffer
}

/// Why a keep-alive exchange failed; `.staleConnection` means the request may safely be sent again.
struct UpstreamExchangeError: Error, Equatable {
    enum Code: Equatable { case staleConnection, bodyTooLarge, protocolViolation }
    var code: Code
}

/// One request at a time on one keep-alive connection: buffers the response, hands the connection
/// back to its pool when the exchange ends cleanly, and fails the exchange when the connection dies.
final class UpstreamExchangeHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = UpstreamExchange
    typealias OutboundOut = HTTPClientRequestPart

    private let maxBodyBytes: Int
    private let onIdle: (any Channel) -> Void
    private var promise: EventLoopPromise<UpstreamResponse>?
    private var head: HTTPResponseHead?
    private var body = ByteBuffer()
    /// Set once any byte of a response arrived: after that a failure is not a stale connection.
    private var responseStarted = false

    init(maxBodyBytes: Int, onIdle: @escaping (any Channel) -> Void) {
        self.maxBodyBytes = maxBodyBytes
        self.onIdle = onIdle
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let exchange = self.unwrapOutboundIn(data)
        guard self.promise == nil else {
            exchange.promise.fail(UpstreamExchangeError(code: .protocolViolation))
            return
        }
        self.promise = exchange.promise
        self.head = nil
        self.body.clear()
        self.responseStarted = false
        context.write(self.wrapOutboundOut(.head(exchange.head)), promise: nil)
        context.write(self.wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.responseStarted = true
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body(var part):
            guard self.body.readableBytes + part.readableBytes <= self.maxBodyBytes else {
                self.fail(UpstreamExchangeError(code: .bodyTooLarge))
                context.close(promise: nil)
                return
            }
            self.body.writeBuffer(&part)
        case .end:
            guard let promise = self.promise, let head = self.head else {
                context.close(promise: nil)
                return
            }
            self.promise = nil
            promise.succeed(UpstreamResponse(head: head, body: self.body))
            if head.isKeepAlive {
                self.onIdle(context.channel)
            } else {
                context.close(promise: nil)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.fail(UpstreamExchangeError(code: self.responseStarted ? .protocolViolation : .staleConnection))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.fail(UpstreamExchangeError(code: self.responseStarted ? .protocolViolation : .staleConnection))
        context.close(promise: nil)
    }

    private func fail(_ error: UpstreamExchangeError) {
        self.promise?.fail(error)
        self.promise = nil
    }
}
