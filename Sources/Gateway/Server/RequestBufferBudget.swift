import NIOCore

/// The memory one event loop's client connections may hold for requests they are still reading or
/// have not sent on yet: partial heads, bodies, bytes of pipelined requests (`REQUEST_BUFFER_LIMIT`,
/// shared out among the loops). Each connection's own share is bounded already (the head and body
/// limits); this bounds their sum, so that a crowd of clients stalling mid-request cannot hold
/// `connections × MAX_REQUEST_BODY_BYTES`. A connection that holds nothing may always read (one read
/// is at most ``maxRead`` bytes); one that holds something reads on only while the loop is under its
/// limit, else it waits, in order, for memory to be freed, within its own deadlines.
final class RequestBufferBudget {
    /// The most one read of a client's socket brings (NIO's adaptive allocator, capped).
    static let maxRead = 4096

    let limit: Int
    private(set) var held = 0
    private var waiting = CircularBuffer<ClientConnectionHandler>()

    init(limit: Int) {
        self.limit = limit
    }

    /// Whether a connection holding `holding` bytes may read more now.
    func allowsReading(holding: Int) -> Bool {
        holding == 0 || self.held < self.limit
    }

    /// A connection's holding changed by `delta` bytes; freed memory goes to those waiting first.
    func charge(_ delta: Int) {
        self.held += delta
        while delta < 0, self.held < self.limit, let next = self.waiting.popFirst() {
            next.budgetFreed()
        }
    }

    /// `connection` waits for memory before it reads on.
    func wait(_ connection: ClientConnectionHandler) {
        self.waiting.append(connection)
    }
}
