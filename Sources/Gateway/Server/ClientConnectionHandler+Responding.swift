import Common
import NIOCore
import NIOHTTP1

extension ClientConnectionHandler {
    /// Writes a complete local answer (an error, a preflight, the welcome, health).
    func respond(_ response: LocalResponse, to exchange: Exchange) {
        guard !exchange.responseStarted else {
            self.context.close(promise: nil)
            return
        }
        exchange.phase = .done
        var headers = response.headers
        if response.status != .noContent, response.status != .notModified {
            headers.replaceOrAdd(name: "content-length", value: String(response.body.readableBytes))
        }
        self.writeHead(HTTPResponseHead(version: exchange.head.version, status: response.status, headers: headers), for: exchange)
        if !exchange.isHEAD, response.body.readableBytes > 0 {
            self.context.write(self.wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        }
        self.writeEnd(for: exchange)
    }

    /// Writes a response head with the gateway's own headers: the request id, CORS, and `Connection`
    /// as the client connection will go on.
    func writeHead(_ head: HTTPResponseHead, for exchange: Exchange) {
        var head = head
        head.headers.replaceOrAdd(name: "x-request-id", value: exchange.requestID)
        self.shared.cors.decorate(&head.headers, origin: exchange.allowedOrigin)
        if !exchange.keepAlive || self.closing {
            head.headers.replaceOrAdd(name: "connection", value: "close")
        } else if head.version == .http1_0 {
            head.headers.replaceOrAdd(name: "connection", value: "keep-alive")
        }
        exchange.status = Int(head.status.code)
        self.context.write(self.wrapOutboundOut(.head(head)), promise: nil)
    }

    func writeBody(_ part: ByteBuffer, for exchange: Exchange, flush: Bool) {
        guard !exchange.isHEAD else { return }
        if flush {
            self.context.writeAndFlush(self.wrapOutboundOut(.body(.byteBuffer(part))), promise: nil)
        } else {
            self.context.write(self.wrapOutboundOut(.body(.byteBuffer(part))), promise: nil)
        }
    }

    /// Ends the response, then hands over the next pipelined request, if one is waiting.
    func writeEnd(for exchange: Exchange) {
        exchange.responseEnded = true
        let closes = !exchange.keepAlive || self.closing
        if exchange.requestEnded || closes {
            self.finish(exchange)
        }
        if closes {
            self.closing = true
            let context = self.context!
            context.writeAndFlush(self.wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        } else {
            self.context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
            self.deliverPipelined()
        }
    }
}
