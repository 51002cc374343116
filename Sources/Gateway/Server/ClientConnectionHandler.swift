import Common
import NIOCore

/// One client connection, the only handler in its pipeline: it parses requests from the socket's
/// bytes (``RequestHeadParser``, ``ChunkedDecoder``), answers what the gateway answers itself, checks
/// and forwards the rest, and writes every answer as bytes. The protocol's rules (one request at a
/// time, keep-alive, deadlines, when to read, when to close) are ``ConnectionStateMachine``'s; this
/// class feeds it events and carries out its actions. Everything runs on the connection's loop.
///
/// Deadlines (``ClientTimeouts``): a request head must arrive within `header` of the connection
/// opening or of a further request's first byte (of the end of the previous answer, when that byte
/// came before it); its body within `body` of the head; a keep-alive connection may sit idle for
/// `idle`. A deadline missed with part of a request read is answered 408; an idle connection is
/// closed without a word. A closing connection lingers up to ``lingerTime`` to read and discard what
/// the client still sends, so that a reset does not destroy the answer before the client reads it.
final class ClientConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let lingerTime = 2.0
    static let headLimits = HeadLimits()

    let shared: GatewayConnectionContext
    let state: EventLoopState
    var context: ChannelHandlerContext!
    var machine = ConnectionStateMachine()
    /// Bytes read and not parsed yet.
    var inbound = ByteBuffer()
    /// How far the head being received was searched for its end.
    var headScanned = 0
    /// How the body of the request in progress is read, while it is.
    var bodyReader: BodyReader?
    /// The request in progress, until its answer is complete.
    var exchange: Exchange?
    /// When what the connection waits for is overdue; checked by its loop's ``DeadlineSweep``, so a
    /// request costs no timer of its own.
    var deadline: NIODeadline?
    /// What `deadline` was set for.
    var deadlineFor = ConnectionStateMachine.Waiting.nothing
    /// A read the channel asked for while the machine said not to read.
    var readHeld = false
    /// ``processInbound()`` is on the stack: an event it causes must not start it again.
    var processing = false
    /// The client sent FIN; the machine is told once the requests sent before it are read.
    var clientFinished = false
    /// What this connection holds of ``RequestBufferBudget`` (its buffer and an unsent body).
    var heldBytes = 0
    /// It waits in the budget's line for memory to read on.
    var waitingForBudget = false
    var finishDelivered = false
    /// The peer's address once asked: `context.remoteAddress` is a getpeername(2) on every call.
    private var knownPeerIP: String??

    enum BodyReader {
        case length(remaining: Int)
        case chunked(ChunkedDecoder)
    }

    init(shared: GatewayConnectionContext, state: EventLoopState) {
        self.shared = shared
        self.state = state
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.state.deadlines.add(self)
        self.updateDeadline()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.state.deadlines.remove(self)
        self.inbound = ByteBuffer()
        self.exchange = nil
        self.accountHeldBytes()
        self.context = nil
    }

    var channel: (any Channel)? { self.context?.channel }

    /// The connection's peer IP address, asked of the socket once.
    var peerIP: String? {
        if let known = self.knownPeerIP { return known }
        let peerIP = self.context.remoteAddress?.ipAddress
        self.knownPeerIP = .some(peerIP)
        return peerIP
    }

    // MARK: Reading

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = self.unwrapInboundIn(data)
        switch self.machine.state {
        case .closing, .closed:
            return  // discarded: the last answer is out
        case .idle, .request:
            break
        }
        if self.inbound.readableBytes == 0 {
            self.inbound = bytes
        } else {
            self.inbound.writeBuffer(&bytes)
        }
        self.machine.receivedBytes()
        self.processInbound()
    }

    /// Parses what the buffer holds as far as the machine allows: a head between requests, the body
    /// of the request in progress; bytes beyond wait for their turn. A request that is answered at
    /// once (a 404, say) lets the loop go on to the next, so a thousand pipelined requests use no more
    /// stack than one.
    func processInbound() {
        guard !self.processing, self.context != nil else { return }
        self.processing = true
        defer { self.processing = false }
        while self.inbound.readableBytes > 0, self.context != nil {
            if self.machine.readsHead {
                // The next request waits until the client takes the answers it has.
                guard self.context.channel.isWritable else { break }
                switch RequestHeadParser.parse(&self.inbound, scanned: self.headScanned, limits: Self.headLimits) {
                case .incomplete(let scanned):
                    self.headScanned = scanned
                    break
                case .refused(let error):
                    self.perform(self.machine.requestRefused(error))
                    return
                case .head(let head):
                    self.headScanned = 0
                    self.requestHeadArrived(head)
                    continue
                }
                break
            }
            if self.machine.readsBody {
                self.readBody()
                continue
            }
            break
        }
        if self.inbound.readableBytes > 0 {
            // Bytes of the next request came with this one: its head deadline runs from the answer's end.
            self.machine.receivedBytes()
            if self.inbound.capacity > 4 * self.inbound.readableBytes + RequestBufferBudget.maxRead {
                self.inbound = ByteBuffer(buffer: self.inbound)  // a few bytes keep no large buffer alive
            }
        } else if self.inbound.capacity > 0 {
            self.inbound = ByteBuffer()  // an idle connection keeps no read buffer
        }
        self.accountHeldBytes()
        self.processing = false
        self.deliverClientFinishedIfDue()
        self.updateDeadline()
        self.resumeReadingIfAllowed()
    }

    /// Tells the machine of the client's FIN once every request sent before it has been read: those
    /// are answered, in order, before the connection closes.
    func deliverClientFinishedIfDue() {
        guard self.clientFinished, !self.finishDelivered, self.context != nil else { return }
        guard self.inbound.readableBytes == 0 || self.machine.readsHead || self.machine.readsBody else { return }
        self.finishDelivered = true
        self.perform(self.machine.inputClosed())
    }

    private func readBody() {
        guard let reader = self.bodyReader else { return }
        switch reader {
        case .length(let remaining):
            let count = min(remaining, self.inbound.readableBytes)
            // Taken off the buffer whether or not anyone still wants it (an answered request's body
            // is dropped); `exchange?.append(body: readSlice(...))` would skip the read when nil.
            let part = self.inbound.readSlice(length: count)!
            self.exchange?.append(body: part)
            if count < remaining {
                self.bodyReader = .length(remaining: remaining - count)
                return
            }
        case .chunked(var decoder):
            do {
                let step = try decoder.decode(&self.inbound) { self.exchange?.append(body: $0) }
                guard step == .end else {
                    self.bodyReader = .chunked(decoder)
                    return
                }
            } catch {
                self.bodyReader = nil
                self.perform(self.machine.requestRefused(error))
                return
            }
        }
        self.bodyReader = nil
        self.requestEnded()
    }

    // MARK: Actions

    /// Carries out what the machine decided.
    func perform(_ action: ConnectionStateMachine.Action) {
        switch action {
        case .none:
            break
        case .startNextRequest:
            self.bodyReader = nil
            if self.processing {
                return  // the loop on the stack goes on with the buffered bytes
            }
            self.processInbound()
        case .refuse(let error):
            self.abandonExchange()
            let exchange = self.exchange ?? self.placeholderExchange()
            self.exchange = exchange
            self.respond(LocalResponse(error), to: exchange)
            self.closeAfterAnswer()
        case .close:
            self.abandonExchange()
            self.exchange = nil
            self.context?.close(promise: nil)
        case .closeAfterAnswer:
            self.closeAfterAnswer()
        }
        self.updateDeadline()
        self.resumeReadingIfAllowed()
    }

    /// Once everything written is out, sends FIN and lingers (reading and discarding) until the
    /// client closes too or ``lingerTime`` passes.
    func closeAfterAnswer() {
        guard let context = self.context else { return }
        // Nothing more is read as a request: what is buffered is let go, and what comes is discarded.
        self.inbound = ByteBuffer()
        self.bodyReader = nil
        self.accountHeldBytes()
        context.flush()
        // NIO shuts the output only once what was flushed is written.
        context.close(mode: .output).assumeIsolated().whenFailure { _ in context.close(promise: nil) }
    }

    /// For an answer to bytes that never made a request (a head refused or cut off).
    private func placeholderExchange() -> Exchange {
        let head = RequestHead(method: .RAW(value: "-"), target: "-", version: .http1_1, headers: HeaderFields(bytes: ByteBuffer(), fields: []))
        return Exchange(
            head: head, facts: RequestHeaderFacts(head.headers), path: "-", requestID: self.state.ids.nextRequestID(), started: .now(),
            allowedOrigin: nil
        )
    }
}
