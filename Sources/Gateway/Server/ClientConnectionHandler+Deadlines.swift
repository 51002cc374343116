import Common
import NIOCore
import NIOHTTP1

/// The client deadlines (``ClientTimeouts``), checked by the loop's ``DeadlineSweep``.
extension ClientConnectionHandler {
    /// What the connection is waiting for, which says what a missed deadline means.
    enum Waiting {
        /// The first request, since the connection opened: nothing has arrived yet.
        case connectionStart
        /// A further request on a keep-alive connection.
        case idle
        /// The rest of a request head whose first bytes arrived.
        case head
        /// The rest of the current request's body.
        case body
        case nothing
    }

    /// Waits for `waiting`, for at most `seconds` (none: no deadline).
    func wait(for waiting: Waiting, within seconds: Double?) {
        self.waiting = waiting
        self.deadline = seconds.map { .now() + .nanoseconds(Int64($0 * 1e9)) }
    }

    /// Called by the loop's sweep: acts on whatever deadline has passed by `now`.
    func checkDeadlines(now: NIODeadline) {
        if let deadline = self.deadline, deadline <= now {
            self.deadlinePassed()
        }
        if let exchange = self.exchange, let deadline = exchange.upstreamDeadline, deadline <= now {
            exchange.upstreamDeadline = nil
            self.upstreamTookTooLong(exchange)
        }
    }

    /// The deadline in force passed; what it means depends on what the connection waits for now
    /// (the first bytes of a request turn the connection-start deadline into a head deadline).
    private func deadlinePassed() {
        guard self.context != nil else { return }
        self.deadline = nil
        switch self.waiting {
        case .connectionStart, .idle, .nothing:
            self.context.close(promise: nil)
        case .head:
            // The HTTP layer has seen no request to answer.
            self.answerBelowHTTP(APIError(.requestTimeout, "Request header timeout"), method: "-")
        case .body:
            guard let exchange = self.exchange else { return }
            self.abortUpstream(of: exchange)
            self.refuseMidRequest(exchange, with: APIError(.requestTimeout, "Request body timeout"))
        }
    }

    /// Writes `error` as a whole answer straight to the socket, then closes: for a request the HTTP
    /// layer has not seen (a head that never completed), or whose answer NIO's encoder would strip of
    /// its body (CONNECT).
    func answerBelowHTTP(_ error: APIError, method: String) {
        let requestID = self.state.requestIDs.next()
        let status = HTTPResponseStatus(statusCode: Int(error.status.code))
        var response = ByteBuffer(string: "HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\ncontent-type: application/json; charset=utf-8\r\n")
        response.writeString("content-length: \(error.jsonBody().count)\r\nx-request-id: \(requestID)\r\nconnection: close\r\n\r\n")
        response.writeBytes(error.jsonBody())
        self.closing = true
        self.wire?.answerAndClose(response)
        self.shared.requestLog?.record(
            RequestLogEntry(method: method, path: "-", status: Int(status.code), durationNanoseconds: 0, requestID: requestID), on: self.context.eventLoop
        )
    }
}
