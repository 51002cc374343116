import Common
import HTTPTypes
import NIOCore
import NIOHTTP1

/// One client connection: reads each request, answers what the gateway answers itself, checks and
/// forwards the rest, and enforces the client deadlines. Everything runs on the connection's event
/// loop; the request's body and the service's response stream through without being collected.
///
/// Deadlines (``ClientTimeouts``): a request head must arrive within `header` of the connection
/// opening or of a further request's first byte (of the end of the previous answer, when that byte
/// came before it); its body within `body` of the head; a keep-alive connection may sit idle for
/// `idle`. A deadline missed with part of a request read is answered 408; an idle connection is
/// closed without a word.
final class ClientConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    let shared: GatewayConnectionContext
    let state: EventLoopState
    var context: ChannelHandlerContext!
    /// The request in progress.
    var exchange: Exchange?
    /// What arrived behind the request in progress, in order (see ``deliverPipelined()``).
    var pipelined = CircularBuffer<Pipelined>()
    /// A read the channel asked for while requests were waiting in `pipelined`.
    var readHeld = false
    /// ``deliverPipelined()`` is on the stack: a request it delivers may be answered at once.
    var delivering = false
    /// The connection's wire handler, below HTTP.
    var wire: ClientWireHandler?
    /// No further request is read: the connection closes once the current response is written.
    var closing = false
    /// When what the connection waits for is overdue; checked by its loop's ``DeadlineSweep``, so a
    /// request costs no timer of its own.
    var deadline: NIODeadline?
    /// What the connection waits for now, which says what a missed `deadline` means.
    var waiting = Waiting.connectionStart
    /// Bytes of a further request came while this one was answered: once it is, the head deadline
    /// runs (not the idle one).
    var nextRequestStarted = false
    /// The peer's address once asked: `context.remoteAddress` is a getpeername(2) on every call.
    private var knownPeerIP: String??

    init(shared: GatewayConnectionContext, state: EventLoopState) {
        self.shared = shared
        self.state = state
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.wire = try? context.pipeline.syncOperations.handler(type: ClientWireHandler.self)
        self.state.deadlines.add(self)
        self.wait(for: .connectionStart, within: self.shared.timeouts.header)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.state.deadlines.remove(self)
        self.context = nil
        self.wire = nil
    }

    var channel: (any Channel)? { self.context?.channel }

    /// The connection's peer IP address, asked of the socket once.
    var peerIP: String? {
        if let known = self.knownPeerIP { return known }
        let peerIP = self.context.remoteAddress?.ipAddress
        self.knownPeerIP = .some(peerIP)
        return peerIP
    }

    // MARK: Reading requests

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = self.unwrapInboundIn(data)
        if !self.pipelined.isEmpty || (part.isHead && self.exchange != nil && !self.closing) {
            // A request sent before the answer to the one in progress: it waits its turn.
            self.pipelined.append(.part(part))
            return
        }
        self.handle(part)
    }

    /// One part of the request in progress, or the head of the next.
    func handle(_ part: HTTPServerRequestPart) {
        switch part {
        case .head(let head):
            guard !self.closing else { return }
            self.requestHeadArrived(head)
        case .body(let part):
            guard let exchange = self.exchange, !exchange.requestEnded else { return }
            self.requestBodyArrived(part, exchange: exchange)
        case .end:
            guard let exchange = self.exchange, !exchange.requestEnded else { return }
            self.requestEndArrived(exchange)
        }
    }

    private func requestHeadArrived(_ head: HTTPRequestHead) {
        self.wait(for: .nothing, within: nil)
        self.nextRequestStarted = false
        if head.method == .CONNECT {
            // Not proxied; NIO's encoder would send this answer without its body.
            return self.answerBelowHTTP(RequestHeadCheck.connectRefused, method: "CONNECT")
        }
        let facts = RequestHeaderFacts(head.headers)
        let requestID = RequestID.accept(facts.requestID) ?? self.state.requestIDs.next()
        let path = RequestHeadCheck.path(of: head.uri)
        let checked = RequestHeadCheck.body(of: head, facts: facts, maxBodyBytes: self.shared.maxBodyBytes)
        let body = (try? checked.get()) ?? .none
        let exchange = Exchange(
            head: head, path: path ?? "-", requestID: requestID, started: .now(),
            allowedOrigin: self.shared.cors.allowedOrigin(facts.origin), body: body
        )
        exchange.credential = facts.credential
        exchange.expectsContinue = facts.expect != nil
        self.exchange = exchange
        if case .failure(let problem) = checked {
            // Its framing or headers cannot be trusted: answer, and read nothing more on it.
            exchange.keepAlive = false
            return self.respond(LocalResponse(problem.error), to: exchange)
        }
        if body != .none {
            self.wait(for: .body, within: self.shared.timeouts.body)
            if exchange.expectsContinue {
                // The client waits for this before sending the body it announced.
                self.context.writeAndFlush(self.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
            }
        }
        guard let path else {
            exchange.keepAlive = false
            return self.respond(LocalResponse(APIError(.badRequest, "Malformed request target")), to: exchange)
        }
        if CORSPolicy.isPreflight(head) {
            return self.respond(
                LocalResponse(status: .noContent, contentType: "text/plain", body: ByteBuffer(), headers: self.shared.cors.preflightHeaders(origin: exchange.allowedOrigin)),
                to: exchange
            )
        }
        guard let route = self.shared.routes.route(forPath: path) else {
            return self.respond(LocalResponse(.notFound), to: exchange)
        }
        exchange.route = route
        guard route.serves(head.method) else {
            let allow = route.allowHeader
            if head.method == .OPTIONS {
                return self.respond(
                    LocalResponse(status: .noContent, contentType: "text/plain", body: ByteBuffer(), headers: ["allow": allow + ", OPTIONS"]),
                    to: exchange
                )
            }
            return self.respond(LocalResponse(APIError(.methodNotAllowed, "Method not allowed", headers: [.allow: allow])), to: exchange)
        }
        if case .local(let local) = route.target {
            return self.respond(self.shared.local.response(for: local, path: path, request: head, state: self.state, now: exchange.started), to: exchange)
        }
        self.forward(exchange, route: route)
    }

    private func requestBodyArrived(_ part: ByteBuffer, exchange: Exchange) {
        exchange.bodyBytes += part.readableBytes
        guard exchange.bodyBytes <= self.shared.maxBodyBytes else {
            // A chunked body over the limit: its length was not known up front.
            self.abortUpstream(of: exchange)
            return self.refuseMidRequest(exchange, with: .bodyTooLarge)
        }
        self.forwardBody(part, of: exchange)
    }

    private func requestEndArrived(_ exchange: Exchange) {
        exchange.requestEnded = true
        if self.waiting == .body { self.wait(for: .nothing, within: nil) }
        self.wire?.arm()  // bytes from here on are the next request's
        if exchange.responseEnded {
            self.finish(exchange)
            self.deliverPipelined()
        } else {
            self.forwardEnd(of: exchange)
        }
    }

    // MARK: Finishing

    /// Answers `error` when no response has started, then closes: the request cannot go on.
    func refuseMidRequest(_ exchange: Exchange, with error: APIError) {
        exchange.keepAlive = false
        exchange.requestEnded = true
        if exchange.responseStarted {
            self.finish(exchange)
            self.context.close(promise: nil)
        } else {
            self.respond(LocalResponse(error), to: exchange)
        }
    }

    /// Both directions of `exchange` are over: log it, then wait for the next request or close.
    func finish(_ exchange: Exchange) {
        guard self.exchange === exchange else { return }
        self.exchange = nil
        exchange.phase = .done
        exchange.upstreamDeadline = nil
        let status = exchange.status ?? 0
        let duration = UInt64(max(0, (NIODeadline.now() - exchange.started).nanoseconds))
        self.state.metrics.record(route: exchange.route?.path, method: exchange.head.method, status: status, nanoseconds: duration)
        self.shared.requestLog?.record(
            RequestLogEntry(
                method: exchange.head.method.rawValue, path: exchange.path, status: status, durationNanoseconds: duration,
                requestID: exchange.requestID
            ),
            on: self.context.eventLoop
        )
        if exchange.keepAlive, !self.closing {
            // The wire was armed when the request ended (a kept-alive one always ended), so bytes that
            // came since then have already started the next request.
            if self.nextRequestStarted {
                self.wait(for: .head, within: self.shared.timeouts.header)
            } else {
                self.wait(for: .idle, within: self.shared.timeouts.idle)
            }
        } else {
            self.closing = true
        }
    }
}
