import Common
import NIOCore
import NIOHTTP1

/// What happens to a client connection besides its requests: the first bytes of a request, a
/// half-close, a shutdown, errors, the end, backpressure.
extension ClientConnectionHandler {
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is ClientWireHandler.RequestStarted:
            switch self.waiting {
            case .idle: self.wait(for: .head, within: self.shared.timeouts.header)
            case .connectionStart: self.waiting = .head
            case .nothing: self.nextRequestStarted = true
            case .head, .body: break
            }
        case ChannelEvent.inputClosed where !self.pipelined.isEmpty:
            self.pipelined.append(.inputClosed)
        case ChannelEvent.inputClosed:
            self.clientClosedItsSide()
        case is ChannelShouldQuiesceEvent:
            // Shutdown: no further request; the one in progress, if any, finishes first.
            self.pipelined.removeAll()
            if self.exchange == nil {
                context.close(promise: nil)
            } else {
                self.closing = true
            }
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    /// The client sent FIN. A request cut short is answered 400; otherwise the connection closes once
    /// the response in progress (if any) is written.
    func clientClosedItsSide() {
        guard let exchange = self.exchange else {
            self.context.close(promise: nil)
            return
        }
        if !exchange.requestEnded {
            self.abortUpstream(of: exchange)
            return self.refuseMidRequest(exchange, with: APIError(.badRequest, "Request body ended early"))
        }
        exchange.keepAlive = false
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else {
            // An I/O error: the connection is gone or going.
            if let exchange = self.exchange { self.abortUpstream(of: exchange) }
            context.close(promise: nil)
            return
        }
        if !self.pipelined.isEmpty || self.exchange?.requestEnded == true {
            // Bytes after a complete request do not parse: that request is answered first.
            self.pipelined.append(.parserError(parserError))
            return
        }
        self.requestFailedToParse(parserError)
    }

    /// Answers a request the HTTP parser refused, then closes.
    func requestFailedToParse(_ parserError: HTTPParserError) {
        let answer: APIError =
            switch parserError {
            case .headerOverflow: APIError(.requestHeaderFieldsTooLarge, "Request header fields too large")
            case .invalidEOFState: APIError(.badRequest, "Request ended early")
            default: APIError(.badRequest, "Malformed HTTP request")
            }
        let exchange = self.exchange ?? Exchange(
            head: HTTPRequestHead(version: .http1_1, method: .RAW(value: "-"), uri: "-"), path: "-", requestID: self.state.requestIDs.next(),
            started: .now(), allowedOrigin: nil, body: .none
        )
        self.exchange = exchange
        self.abortUpstream(of: exchange)
        self.refuseMidRequest(exchange, with: answer)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.wait(for: .nothing, within: nil)
        self.pipelined.removeAll()
        if let exchange = self.exchange {
            self.abortUpstream(of: exchange)
            self.exchange = nil
        }
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, let exchange = self.exchange, exchange.clientPausedUpstream {
            exchange.clientPausedUpstream = false
            exchange.upstream?.setReading(true)
        }
        context.fireChannelWritabilityChanged()
    }
}
