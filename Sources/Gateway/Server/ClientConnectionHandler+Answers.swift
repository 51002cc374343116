import Common
import NIOCore
import NIOHTTP1

/// Answers, written to the client as bytes: the gateway's own, and a service's relayed part by part.
extension ClientConnectionHandler {
    /// Whether the connection closes after the answer in progress.
    var answerCloses: Bool {
        switch self.machine.state {
        case .request(let request): !request.keepAlive
        case .idle: false
        case .closing, .closed: true
        }
    }

    private func headWriter(for exchange: Exchange) -> ResponseHeadWriter {
        ResponseHeadWriter(
            version: exchange.head.version, requestID: exchange.requestID, cors: self.shared.cors, origin: exchange.allowedOrigin,
            closes: self.answerCloses
        )
    }

    /// Writes a complete local answer (an error, a preflight, the welcome, health).
    func respond(_ response: LocalResponse, to exchange: Exchange) {
        guard !exchange.answerStarted else {
            // Part of another answer is out: the client must see that it was cut short.
            self.perform(.close)
            return
        }
        if case .upstream = exchange.phase { self.abandonExchange() }
        exchange.phase = .done
        exchange.status = Int(response.status.code)
        self.machine.answerStarted()
        var out = self.context.channel.allocator.buffer(capacity: 256 + response.body.readableBytes)
        self.headWriter(for: exchange).write(response, into: &out)
        if !exchange.isHEAD {
            var body = response.body
            out.writeBuffer(&body)
        }
        self.context.write(self.wrapOutboundOut(out), promise: nil)
        self.answerEnded(exchange)
    }

    /// The head of a service's answer, as bytes for the client (written by ``writeAnswer(_:flush:)``);
    /// returns the revocation position the service announced, if any.
    func answerHead(_ head: ResponseHead, for exchange: Exchange) -> (bytes: ByteBuffer, position: StreamID?) {
        var out = self.context.channel.allocator.buffer(capacity: 512)
        let written = self.headWriter(for: exchange).write(head, isHEAD: exchange.isHEAD, into: &out)
        exchange.status = head.status
        exchange.framing = written.framing
        if written.closes {
            // An HTTP/1.0 client learns where an unsized body ends only from the close.
            self.machine.closeAfterAnswer()
        }
        self.machine.answerStarted()
        return (out, written.position)
    }

    func writeAnswer(_ bytes: ByteBuffer, flush: Bool) {
        if flush {
            self.context.writeAndFlush(self.wrapOutboundOut(bytes), promise: nil)
        } else {
            self.context.write(self.wrapOutboundOut(bytes), promise: nil)
        }
    }

    /// A part of a service's answer body, framed for the client.
    func answerBody(_ part: ByteBuffer, for exchange: Exchange) -> ByteBuffer? {
        switch exchange.framing {
        case .empty:
            return nil
        case .length, .untilClose:
            return part
        case .chunked:
            guard part.readableBytes > 0 else { return nil }
            var chunk = self.context.channel.allocator.buffer(capacity: part.readableBytes + 20)
            chunk.writeString(String(part.readableBytes, radix: 16))
            chunk.writeStaticString("\r\n")
            var part = part
            chunk.writeBuffer(&part)
            chunk.writeStaticString("\r\n")
            return chunk
        }
    }

    /// The end of a service's answer, framed for the client.
    func answerEnd(for exchange: Exchange) -> ByteBuffer? {
        exchange.framing == .chunked ? ByteBuffer(staticString: "0\r\n\r\n") : nil
    }

    /// The answer is written: log it, flush, and let the machine say what comes next.
    func answerEnded(_ exchange: Exchange) {
        self.logAnswer(of: exchange)
        if self.exchange === exchange {
            self.exchange = nil
            self.accountHeldBytes()
        }
        exchange.phase = .done
        self.context.flush()
        self.perform(self.machine.answerEnded())
    }

    private func logAnswer(of exchange: Exchange) {
        let status = exchange.status ?? 0
        let duration = UInt64(max(0, (NIODeadline.now() - exchange.started).nanoseconds))
        self.state.metrics.record(route: exchange.route?.path, method: exchange.head.method, status: status, nanoseconds: duration)
        exchange.trace?.end(route: exchange.route?.path, status: status, check: exchange.check)
        self.shared.requestLog?.record(
            RequestLogEntry(method: exchange.head.method.rawValue, path: exchange.path, status: status, durationNanoseconds: duration, requestID: exchange.requestID),
            on: self.context.eventLoop
        )
    }
}
