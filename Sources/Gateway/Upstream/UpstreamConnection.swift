import Common
import NIOCore

/// Whoever is owed the response of the request in flight on an upstream connection.
protocol UpstreamResponseReceiver: AnyObject {
    func upstreamReceivedHead(_ head: ResponseHead)
    func upstreamReceivedBody(_ part: ByteBuffer)
    /// The response is complete. `reusable`: the connection is in step for another request.
    func upstreamReceivedEnd(reusable: Bool)
    /// The connection broke or the service wrote something that is not a response. `responseStarted`
    /// says whether the head had arrived: before that, an idempotent request may be sent again.
    func upstreamFailed(responseStarted: Bool)
}

/// One keep-alive connection to a service, used by one exchange at a time: a request goes out as the
/// bytes the gateway wrote, the response comes back through ``UpstreamHandler``'s parser.
final class UpstreamConnection {
    let channel: any Channel
    private let handler: UpstreamHandler
    var idleSince: NIODeadline = .now()

    init(channel: any Channel, handler: UpstreamHandler) {
        self.channel = channel
        self.handler = handler
    }

    /// Sends one whole request for `receiver`; `written` is called once every byte went out.
    func send(_ request: ByteBuffer, to receiver: any UpstreamResponseReceiver, written: @escaping () -> Void) {
        self.handler.expectResponse(for: receiver)
        self.channel.writeAndFlush(request).assumeIsolated().whenSuccess(written)
    }

    /// The connection sits in its pool: any byte from the service now is out of step.
    func park() {
        self.handler.park()
    }

    /// Stops or resumes reading the response, so a slow client is not fed faster than it reads.
    func setReading(_ reading: Bool) {
        try? self.channel.syncOptions?.setOption(.autoRead, value: reading)
        if reading { self.channel.read() }
    }

    func close() {
        self.handler.park()
        self.channel.close(promise: nil)
    }
}

/// Reads a service's responses from its connection's bytes and hands their parts to the exchange
/// whose request is in flight. A byte that arrives when no response is expected, or after a response
/// in the same read, means the connection is out of step: it is never used again.
final class UpstreamHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private enum State {
        /// No request in flight.
        case parked
        case head(scanned: Int)
        case body(Body)
    }

    private enum Body {
        case length(remaining: Int)
        case chunked(ChunkedDecoder)
        case untilClose
    }

    private weak var receiver: (any UpstreamResponseReceiver)?
    private var state = State.parked
    private var buffer = ByteBuffer()
    private var context: ChannelHandlerContext?
    static let limits = HeadLimits()

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func expectResponse(for receiver: any UpstreamResponseReceiver) {
        self.receiver = receiver
        self.state = .head(scanned: 0)
    }

    func park() {
        self.receiver = nil
        self.state = .parked
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = self.unwrapInboundIn(data)
        if self.buffer.readableBytes == 0 {
            self.buffer = bytes
        } else {
            self.buffer.writeBuffer(&bytes)
        }
        self.parse()
    }

    private func parse() {
        while self.buffer.readableBytes > 0 {
            switch self.state {
            case .parked:
                // A response nobody asked for: the connection is out of step and useless.
                return self.fail()
            case .head(let scanned):
                switch ResponseHeadParser.parse(&self.buffer, scanned: scanned, limits: Self.limits) {
                case .incomplete(let scanned):
                    self.state = .head(scanned: scanned)
                    return
                case .malformed:
                    return self.fail()
                case .head(let head):
                    if (100..<200).contains(head.status) {
                        // Interim answers are not passed on (the gateway never sends Expect upstream);
                        // a switch of protocols is not HTTP any more.
                        if head.status == 101 { return self.fail() }
                        self.state = .head(scanned: 0)
                        continue
                    }
                    self.receiver?.upstreamReceivedHead(head)
                    switch head.framing {
                    case .empty: self.ended(keepAlive: head.keepAlive)
                    case .length(let length): self.state = .body(.length(remaining: length))
                    case .chunked: self.state = .body(.chunked(ChunkedDecoder(budget: .max)))
                    case .untilClose: self.state = .body(.untilClose)
                    }
                    self.keepAlive = head.keepAlive
                }
            case .body(.length(let remaining)):
                let count = min(remaining, self.buffer.readableBytes)
                self.receiver?.upstreamReceivedBody(self.buffer.readSlice(length: count)!)
                if count == remaining {
                    self.ended(keepAlive: self.keepAlive)
                } else {
                    self.state = .body(.length(remaining: remaining - count))
                }
            case .body(.chunked(var decoder)):
                do {
                    let step = try decoder.decode(&self.buffer) { self.receiver?.upstreamReceivedBody($0) }
                    if step == .end {
                        self.ended(keepAlive: self.keepAlive)
                    } else {
                        self.state = .body(.chunked(decoder))
                    }
                } catch {
                    return self.fail()
                }
            case .body(.untilClose):
                let part = self.buffer.readSlice(length: self.buffer.readableBytes)!
                self.receiver?.upstreamReceivedBody(part)
            }
        }
        self.buffer = ByteBuffer()
    }

    /// Whether the service keeps the connection open after the response in progress.
    private var keepAlive = false

    private func ended(keepAlive: Bool) {
        let receiver = self.receiver
        self.park()
        // Bytes after the end of a response are answers to nothing: the connection cannot be trusted.
        let inStep = keepAlive && self.buffer.readableBytes == 0
        receiver?.upstreamReceivedEnd(reusable: inStep)
        if !inStep { self.context?.close(promise: nil) }
    }

    private func fail() {
        let receiver = self.receiver
        let started: Bool
        if case .body = self.state { started = true } else { started = false }
        self.park()
        self.buffer.clear()
        self.context?.close(promise: nil)
        receiver?.upstreamFailed(responseStarted: started)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .body(.untilClose) = self.state {
            // The close is the end of this body; the connection is gone with it.
            let receiver = self.receiver
            self.park()
            receiver?.upstreamReceivedEnd(reusable: false)
        } else if self.receiver != nil {
            self.fail()
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.fail()
    }
}
