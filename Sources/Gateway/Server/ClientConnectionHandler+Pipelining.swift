import NIOCore
import NIOHTTP1

/// HTTP/1.1 pipelining: a client may send further requests before the answer to the one in progress.
/// They wait in `pipelined`, in order, until that answer is written, and the socket is not read while
/// any wait, so a client cannot queue more than one read's worth. NIO's `HTTPServerPipelineHandler`
/// does the same, but it stops reading after every request until its answer is out, which costs two
/// epoll_ctl(2) per request on every connection, pipelined or not; here reading pauses only when a
/// request is actually waiting.
extension ClientConnectionHandler {
    /// Something that arrived behind the request in progress.
    enum Pipelined {
        case part(HTTPServerRequestPart)
        /// The client sent FIN after its requests.
        case inputClosed
        /// The bytes after the last complete request do not parse.
        case parserError(HTTPParserError)

        /// Starts something new, so it waits until the request in progress is answered; the body and
        /// end of a request follow its head at once.
        var waitsForAnswer: Bool {
            switch self {
            case .part(.head), .parserError: true
            case .part(.body), .part(.end), .inputClosed: false
            }
        }
    }

    /// Reads on, unless requests wait their turn or the connection is closing: nothing a client
    /// sends after its last request is read (NIO's parser would buffer an upgraded connection's
    /// bytes without bound).
    func read(context: ChannelHandlerContext) {
        if self.pipelined.isEmpty, !self.closing {
            context.read()
        } else {
            self.readHeld = true
        }
    }

    /// Hands the waiting requests over while the one in progress is answered. Called when an answer
    /// ends; a request it hands over may be answered at once (a 404, say), and then the loop goes on
    /// rather than recursing, so a thousand pipelined requests use no more stack than one.
    func deliverPipelined() {
        guard !self.delivering, self.context != nil else { return }
        self.delivering = true
        defer { self.delivering = false }
        while let next = self.pipelined.first {
            if self.closing {
                self.pipelined.removeAll()
                break
            }
            if next.waitsForAnswer, let exchange = self.exchange, exchange.requestEnded { break }
            self.pipelined.removeFirst()
            switch next {
            case .part(let part): self.handle(part)
            case .inputClosed: self.clientClosedItsSide()
            case .parserError(let error): self.requestFailedToParse(error)
            }
            guard self.context != nil else { return }
        }
        if self.pipelined.isEmpty, self.readHeld, !self.closing {
            self.readHeld = false
            self.context.read()
        }
    }
}

extension HTTPServerRequestPart {
    var isHead: Bool {
        if case .head = self { return true }
        return false
    }
}
