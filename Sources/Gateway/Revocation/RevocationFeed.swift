import Common
import Logging
import NIOCore
import Redis
import ServiceLifecycle

/// Keeps every event loop's ``RevocationView`` current from the revocation stream in Redis: a full
/// load at start (the stream holds only what can still matter), then a blocking read of what comes
/// next, on a connection of its own. After a reconnect it resumes from the last entry it applied,
/// and loads everything again when that entry has been trimmed away (it may have missed some) or
/// the Redis it reconnected to (a promoted replica, after a failover) never had it.
///
/// Each answer from Redis, entries or the empty answer of a blocking read that timed out, tells the
/// views that they are current; when Redis stays silent longer than the views' bound, protected
/// routes fail closed until the feed has caught up. The feed lives on one event loop, in callbacks:
/// it never waits for Swift's shared threads, so a busy process cannot make Redis look silent.
struct RevocationFeed: Service {
    let redis: RedisClient
    let states: EventLoopStates
    let logger: Logger
    let eventLoop: any EventLoop
    /// How long one blocking read waits for new entries; well below the views' lag bound.
    var blockFor: Duration = .milliseconds(250)

    func run() async throws {
        let follower = try await self.eventLoop.submit {
            NIOLoopBound(
                RevocationFollower(redis: self.redis, states: self.states, logger: self.logger, eventLoop: self.eventLoop, blockFor: self.blockFor),
                eventLoop: self.eventLoop
            )
        }.get()
        self.eventLoop.execute { follower.value.start() }
        try? await gracefulShutdown()
        self.eventLoop.execute { follower.value.stop() }
    }
}

/// The feed's state machine, confined to its event loop.
final class RevocationFollower {
    private let redis: RedisClient
    private let states: EventLoopStates
    private let logger: Logger
    private let eventLoop: any EventLoop
    private let blockFor: Duration
    private var connection: RedisConnection?
    /// The last entry applied; `nil` until the first full load.
    private var position: StreamID?
    private var failures = 0
    private var stopped = false
    private var lastPrune = NIODeadline.now()

    init(redis: RedisClient, states: EventLoopStates, logger: Logger, eventLoop: any EventLoop, blockFor: Duration) {
        self.redis = redis
        self.states = states
        self.logger = logger
        self.eventLoop = eventLoop
        self.blockFor = blockFor
    }

    func start() {
        guard !self.stopped else { return }
        self.redis.dedicatedConnection(on: self.eventLoop).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let connection):
                self.connection = connection
                if self.failures > 0 {
                    self.logger.notice("Revocation feed reconnected", metadata: ["after_failures": "\(self.failures)"])
                }
                self.failures = 0
                self.resumeOrLoad()
            case .failure(let error):
                self.failed(error)
            }
        }
    }

    func stop() {
        self.stopped = true
        self.connection?.close()
        self.connection = nil
    }

    /// Resumes after `position` unless entries after it may have been trimmed away meanwhile, or this
    /// Redis never had it: after a failover that lost the last writes, the promoted replica's stream
    /// ends before `position`, and what it appends next might sort before it. Both are a gap: load all.
    private func resumeOrLoad() {
        guard let position = self.position else { return self.load(from: "-", loaded: []) }
        self.command(["XRANGE", RevocationStream.key, "-", "+", "COUNT", "1"], timeout: .seconds(1)) { first in
            self.command(["XREVRANGE", RevocationStream.key, "+", "-", "COUNT", "1"], timeout: .seconds(1)) { last in
                let firstID = RevocationStream.entries(in: first).first?.0
                let lastID = RevocationStream.entries(in: last).first?.0 ?? .zero
                if let firstID, firstID > position {
                    self.load(from: "-", loaded: [])
                } else if lastID < position {
                    self.logger.warning(
                        "Revocation stream ends before the last entry applied (a failover lost writes): loading it again",
                        metadata: ["applied": "\(position)", "stream_end": "\(lastID)"]
                    )
                    self.load(from: "-", loaded: [])
                } else {
                    self.readNext()
                }
            }
        }
    }

    /// Reads the whole stream in pages, then replaces every view's copy with it.
    private func load(from start: String, loaded: [(StreamID, RevocationEntry?)]) {
        self.command(["XRANGE", RevocationStream.key, start, "+", "COUNT", "1000"], timeout: .seconds(2)) { reply in
            let page = RevocationStream.entries(in: reply)
            let entries = loaded + page
            if page.count == 1000, let last = page.last?.0 {
                return self.load(from: "(" + last.description, loaded: entries)
            }
            let now = NIODeadline.now()
            self.states.forEach { $0.revocations.replace(with: entries, heardAt: now) }
            self.logger.info("Revocation record loaded", metadata: ["entries": "\(entries.count)"])
            self.position = entries.last?.0 ?? .zero
            self.readNext()
        }
    }

    /// Waits (briefly) for entries after the position and hands them to every view, then again.
    private func readNext() {
        let position = self.position ?? .zero
        self.command(
            ["XREAD", "COUNT", "1000", "BLOCK", String(self.blockFor.milliseconds), "STREAMS", RevocationStream.key, position.description],
            timeout: self.blockFor + .milliseconds(500)
        ) { reply in
            let now = NIODeadline.now()
            // [[stream, [[id, fields], ...]]], or null when the block timed out with nothing new.
            let entries = reply.array?.first?.array.flatMap { $0.count == 2 ? RevocationStream.entries(in: $0[1]) : nil } ?? []
            if entries.isEmpty {
                self.states.forEach { $0.revocations.heard(at: now) }
            } else {
                self.states.forEach { $0.revocations.apply(entries, heardAt: now) }
                self.position = entries.last?.0 ?? position
            }
            if now - self.lastPrune > .seconds(10) {
                self.lastPrune = now
                let unixMilliseconds = Int64(SystemWallClock().now() * 1000)
                self.states.forEach { $0.revocations.forget(before: unixMilliseconds) }
            }
            self.readNext()
        }
    }

    private func command(_ arguments: [String], timeout: Duration, then: @escaping (RedisValue) -> Void) {
        guard !self.stopped, let connection = self.connection else { return }
        connection.command(arguments, timeout: timeout).assumeIsolated().whenComplete { result in
            guard !self.stopped else { return }
            switch result {
            case .success(let reply): then(reply)
            case .failure(let error): self.failed(error)
            }
        }
    }

    /// Drops the connection and tries again shortly; the views go stale on their own meanwhile.
    private func failed(_ error: any Error) {
        self.connection?.close()
        self.connection = nil
        self.failures += 1
        if self.failures == 1 {
            self.logger.error("Revocation feed lost Redis: protected routes answer 503 until it is back", metadata: ["error": "\(error)"])
        }
        guard !self.stopped else { return }
        self.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(min(1000, 50 * self.failures)))) {
            self.start()
        }
    }
}
