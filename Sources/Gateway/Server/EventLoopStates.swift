import Common
import NIOCore
import NIOPosix

/// What one event loop keeps for the requests it serves: the verification keys, its cache of
/// verified tokens, its copy of the revocation record, its upstream connections. Only ever touched on
/// that loop, so the hot path takes no lock and waits for nobody.
final class EventLoopState {
    let eventLoop: any EventLoop
    var keys = VerificationKeySet()
    var verifiedTokens = VerifiedTokenCache()
    let revocations: RevocationView
    let upstreams: UpstreamPools
    let metrics = RequestMetrics()
    /// The ids the loop makes: request ids, and the trace ids of requests a trace sample leaves out.
    var ids = SplitMix64()
    /// What the loop's connections may hold of requests in progress.
    let requestBuffers: RequestBufferBudget
    /// Open client connections: their deadlines are swept here, and a graceful shutdown asks each to
    /// finish and close.
    let deadlines: DeadlineSweep

    init(eventLoop: any EventLoop, revocations: RevocationView, upstreams: UpstreamPools, requestBufferLimit: Int = 8 << 20) {
        self.eventLoop = eventLoop
        self.requestBuffers = RequestBufferBudget(limit: requestBufferLimit)
        self.revocations = revocations
        self.upstreams = upstreams
        self.deadlines = DeadlineSweep(eventLoop: eventLoop)
    }
}

/// Every loop's ``EventLoopState``, reachable from anywhere: services push updates (new keys, new
/// revocations) to each loop with ``forEach(_:)``; a connection takes its loop's state once.
struct EventLoopStates: Sendable {
    private let boxes: [ObjectIdentifier: NIOLoopBoundBox<EventLoopState>]
    private let group: any EventLoopGroup

    init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, make: (any EventLoop) -> EventLoopState) {
        var boxes: [ObjectIdentifier: NIOLoopBoundBox<EventLoopState>] = [:]
        for loop in group.makeIterator() {
            // Made here, used only on `loop`: the box hands the state over without sharing it.
            boxes[ObjectIdentifier(loop)] = NIOLoopBoundBox.makeBoxSendingValue(make(loop), eventLoop: loop)
        }
        self.boxes = boxes
        self.group = group
    }

    /// The state of `loop`; call on that loop.
    func state(on loop: any EventLoop) -> EventLoopState {
        guard let box = self.boxes[ObjectIdentifier(loop)] else {
            preconditionFailure("event loop \(loop) is not one of the gateway's")
        }
        return box.value
    }

    /// Runs `body` on every loop with its state, without waiting.
    func forEach(_ body: @escaping @Sendable (EventLoopState) -> Void) {
        for loop in self.group.makeIterator() {
            guard let box = self.boxes[ObjectIdentifier(loop)] else { continue }
            loop.execute { body(box.value) }
        }
    }

    /// Runs `body` on every loop with its state and waits until all have, returning their results.
    @discardableResult
    func onEach<T: Sendable>(_ body: @escaping @Sendable (EventLoopState) -> T) async -> [T] {
        var results: [T] = []
        for loop in self.group.makeIterator() {
            guard let box = self.boxes[ObjectIdentifier(loop)] else { continue }
            if let result = try? await loop.submit({ body(box.value) }).get() { results.append(result) }
        }
        return results
    }
}
