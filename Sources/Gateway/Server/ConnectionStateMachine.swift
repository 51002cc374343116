import Common

/// The HTTP/1.1 protocol of one client connection, as a value: which request is in progress, how far
/// its body and its answer are, what the connection waits for (and so which deadline runs), whether
/// the socket may be read, and when the connection ends. It knows nothing of sockets or of what a
/// request is for; ``ClientConnectionHandler`` feeds it events and carries out the actions it returns
/// (the shape of NIO's `HTTPServerPipelineHandler` and async-http-client's
/// `HTTP1ConnectionStateMachine`).
///
/// One request is handled at a time. Bytes of the next (pipelined, or sent early) wait in the
/// connection's buffer until the answer in progress is complete; while they wait, the socket is not
/// read, so a client cannot queue more than one read's worth.
struct ConnectionStateMachine {
    enum State: Equatable {
        /// Between requests. `started`: bytes of the next head have arrived. `first`: no request
        /// came before on this connection.
        case idle(started: Bool, first: Bool)
        case request(Request)
        /// The last answer is written: the connection half-closes once it is out and reads on only to
        /// discard what the client still sends, so that the answer is not lost to a reset.
        case closing
        case closed
    }

    /// The request in progress.
    struct Request: Equatable {
        /// Its body is still arriving.
        var bodyPending: Bool
        var answer: Answer
        /// The connection stays open after this request.
        var keepAlive: Bool
        /// Bytes after this request arrived while it was in progress.
        var nextStarted = false
    }

    enum Answer: Equatable {
        case pending
        case started
        case complete
    }

    /// What the connection waits for, which says which deadline runs and what missing it means.
    enum Waiting: Equatable {
        /// The first request's head, since the connection opened.
        case connectionStart
        /// A further request on a kept-alive connection.
        case idle
        /// The rest of a head whose first bytes arrived.
        case head
        /// The rest of the current request's body.
        case body
        /// The client's side of a closing connection.
        case linger
        /// Nothing from the client (an answer is being made, or the connection is gone).
        case nothing
    }

    /// What the handler does after an event.
    enum Action: Equatable {
        case none
        /// Begin the next request from the bytes already buffered, and read on.
        case startNextRequest
        /// Abandon the request in progress (if any), answer `error` and close.
        case refuse(APIError)
        /// Abandon the request in progress (if any) and close at once: an answer was cut short, or
        /// there is nobody to answer.
        case close
        /// The last answer is complete: once it is written, close.
        case closeAfterAnswer
    }

    private(set) var state: State
    /// A graceful shutdown began: no further request is read.
    private var quiescing = false

    init(state: State = .idle(started: false, first: true)) {
        self.state = state
    }

    static let headTimeout = APIError(.requestTimeout, "Request header timeout")
    static let bodyTimeout = APIError(.requestTimeout, "Request body timeout")
    static let headEndedEarly = APIError(.badRequest, "Request ended early")
    static let bodyEndedEarly = APIError(.badRequest, "Request body ended early")

    var waiting: Waiting {
        switch self.state {
        case .idle(started: false, first: true): .connectionStart
        case .idle(started: false, first: false): .idle
        case .idle(started: true, _): .head
        case .request(let request): request.bodyPending ? .body : .nothing
        case .closing: .linger
        case .closed: .nothing
        }
    }

    /// A head is to be read from the buffer now.
    var readsHead: Bool {
        if case .idle = self.state { return true }
        return false
    }

    /// A body is to be read from the buffer now.
    var readsBody: Bool {
        if case .request(let request) = self.state { return request.bodyPending }
        return false
    }

    /// Whether the socket may be read, given whether unparsed bytes are buffered: always while a
    /// head or body is awaited (the parsers bound what that can be); while an answer is made, only
    /// until bytes of the next request are here; when closing, to discard.
    func mayRead(buffered: Bool) -> Bool {
        switch self.state {
        case .idle, .closing: true
        case .request(let request): request.bodyPending || !buffered
        case .closed: false
        }
    }

    // MARK: Events

    /// Bytes arrived from the client.
    mutating func receivedBytes() {
        switch self.state {
        case .idle(started: false, let first):
            self.state = .idle(started: true, first: first)
        case .request(var request) where !request.bodyPending && !request.nextStarted:
            request.nextStarted = true
            self.state = .request(request)
        case .idle, .request, .closing, .closed:
            break
        }
    }

    /// A whole head was read.
    mutating func receivedHead(keepAlive: Bool, hasBody: Bool) {
        guard case .idle = self.state else { preconditionFailure("a head is read only between requests, not in \(self.state)") }
        self.state = .request(Request(bodyPending: hasBody, answer: .pending, keepAlive: keepAlive && !self.quiescing))
    }

    /// The request's body has all arrived.
    mutating func receivedBodyEnd() -> Action {
        guard case .request(var request) = self.state, request.bodyPending else { return .none }
        request.bodyPending = false
        if request.answer == .complete { return self.finish(request) }
        self.state = .request(request)
        return .none
    }

    /// The answer's head is being written. Until then, a failure can still be answered.
    mutating func answerStarted() {
        guard case .request(var request) = self.state, request.answer == .pending else { return }
        request.answer = .started
        self.state = .request(request)
    }

    /// The answer was begun but none of it written (a service failed while it was held back): a
    /// failure can be answered after all.
    mutating func answerWithdrawn() {
        guard case .request(var request) = self.state, request.answer == .started else { return }
        request.answer = .pending
        self.state = .request(request)
    }

    /// The answer being written ends the connection (an HTTP/1.0 client learns where a body of
    /// unknown length ends only from the close).
    mutating func closeAfterAnswer() {
        guard case .request(var request) = self.state else { return }
        request.keepAlive = false
        self.state = .request(request)
    }

    /// The answer is complete. Its request's body may still be arriving (an early answer): it is
    /// then read and dropped, within the body deadline, before the next request.
    mutating func answerEnded() -> Action {
        guard case .request(var request) = self.state else { return .none }
        request.answer = .complete
        guard request.bodyPending else { return self.finish(request) }
        guard request.keepAlive else {
            self.state = .closing
            return .closeAfterAnswer
        }
        self.state = .request(request)
        return .none
    }

    /// The client's bytes cannot be read as HTTP (a head or body the parsers refused, a head the
    /// checks refused): answered if nothing was answered yet, then closed.
    mutating func requestRefused(_ error: APIError) -> Action {
        switch self.state {
        case .idle:
            self.state = .closing
            return .refuse(error)
        case .request(let request):
            self.state = request.answer == .pending ? .closing : .closed
            return request.answer == .pending ? .refuse(error) : .close
        case .closing, .closed:
            return .none
        }
    }

    /// The client will send nothing more (FIN).
    mutating func inputClosed() -> Action {
        switch self.state {
        case .idle(started: false, _), .closing:
            self.state = .closed
            return .close
        case .idle(started: true, _):
            self.state = .closing
            return .refuse(Self.headEndedEarly)
        case .request(let request) where request.bodyPending:
            if request.answer == .pending {
                self.state = .closing
                return .refuse(Self.bodyEndedEarly)
            }
            self.state = .closed
            return .close
        case .request(var request):
            // A whole request: answer it, then close.
            request.keepAlive = false
            self.state = .request(request)
            return .none
        case .closed:
            return .none
        }
    }

    /// The deadline of ``waiting`` passed.
    mutating func deadlinePassed() -> Action {
        switch self.waiting {
        case .connectionStart, .idle, .linger:
            self.state = .closed
            return .close
        case .head:
            self.state = .closing
            return .refuse(Self.headTimeout)
        case .body:
            return self.requestRefused(Self.bodyTimeout)
        case .nothing:
            return .none
        }
    }

    /// A graceful shutdown: no further request; the one in progress finishes first.
    mutating func quiesce() -> Action {
        self.quiescing = true
        switch self.state {
        case .idle:
            self.state = .closed
            return .close
        case .request(var request):
            request.keepAlive = false
            self.state = .request(request)
            return .none
        case .closing, .closed:
            return .none
        }
    }

    /// The connection is gone.
    mutating func closed() {
        self.state = .closed
    }

    private mutating func finish(_ request: Request) -> Action {
        guard request.keepAlive else {
            self.state = .closing
            return .closeAfterAnswer
        }
        self.state = .idle(started: request.nextStarted, first: false)
        return .startNextRequest
    }
}
