import NIOCore

/// One event loop's client connections, and the timer that enforces their deadlines: every
/// `resolution` it asks each connection to act on what is overdue. Setting a deadline is then a
/// plain store, instead of scheduling and cancelling a timer several times per request.
final class DeadlineSweep {
    static let resolution = TimeAmount.milliseconds(100)

    private let eventLoop: any EventLoop
    private var byID: [ObjectIdentifier: ClientConnectionHandler] = [:]
    private var running = false

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    var connections: [ClientConnectionHandler] { Array(self.byID.values) }
    var count: Int { self.byID.count }

    func add(_ connection: ClientConnectionHandler) {
        self.byID[ObjectIdentifier(connection)] = connection
        if !self.running {
            self.running = true
            self.scheduleNext()
        }
    }

    func remove(_ connection: ClientConnectionHandler) {
        self.byID[ObjectIdentifier(connection)] = nil
    }

    /// Runs while there are connections; the first one added starts it again.
    private func scheduleNext() {
        self.eventLoop.assumeIsolated().scheduleTask(in: Self.resolution) {
            guard !self.byID.isEmpty else {
                self.running = false
                return
            }
            let now = NIODeadline.now()
            for connection in self.byID.values {
                connection.checkDeadlines(now: now)
            }
            self.scheduleNext()
        }
    }
}
