import Metrics
import NIOCore
import NIOPosix

/// A few long-lived, pipelined connections to Redis, handed out in turn.
///
/// A dead connection is replaced on next use, so the client recovers by itself when Redis comes
/// back; while Redis is down every call fails within the connect timeout instead of hanging.
actor RedisConnectionPool {
    private enum Slot {
        case idle
        case connecting(attempt: Int, EventLoopFuture<any Channel>)
        case ready(any Channel)
    }

    private let configuration: RedisConfiguration
    private let eventLoopGroup: any EventLoopGroup
    private var slots: [Slot]
    private var nextSlot = 0
    private var attempts = 0
    private var isShutDown = false
    /// How many replicas the master had connected, and when that was learnt (``RedisClient/evalDurably``).
    private var replicas: (count: Int, learnt: ContinuousClock.Instant)?
    /// Connections of their own (blocking reads) opened through Sentinel, closed with the pool's on reset.
    private var dedicated: [any Channel] = []

    init(configuration: RedisConfiguration, eventLoopGroup: any EventLoopGroup) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.slots = Array(repeating: .idle, count: configuration.connectionCount)
    }

    func connection() async throws -> any Channel {
        guard !self.isShutDown else { throw RedisError(.connectionClosed, "client is shut down") }
        let index = self.nextSlot
        self.nextSlot = (self.nextSlot + 1) % self.slots.count
        switch self.slots[index] {
        case .ready(let channel) where channel.isActive:
            return channel
        case .connecting(_, let future):
            return try await future.get()
        case .ready, .idle:
            self.attempts += 1
            let attempt = self.attempts
            let future = self.connect()
            self.slots[index] = .connecting(attempt: attempt, future)
            do {
                let channel = try await future.get()
                if case .connecting(let current, _) = self.slots[index], current == attempt {
                    self.slots[index] = .ready(channel)
                }
                Gauge(label: "redis_open_connections").record(self.openConnections)
                return channel
            } catch {
                if case .connecting(let current, _) = self.slots[index], current == attempt {
                    self.slots[index] = .idle
                }
                throw error
            }
        }
    }

    /// Number of slots holding a live connection (for readiness and metrics).
    var openConnections: Int {
        self.slots.reduce(0) { count, slot in
            if case .ready(let channel) = slot, channel.isActive { return count + 1 }
            return count
        }
    }

    /// Closes every open connection, so that each is opened again on next use: after a failover, the
    /// next one asks the Sentinels where the master is now.
    func reset() {
        self.replicas = nil
        for slot in self.slots {
            if case .ready(let channel) = slot { channel.close(promise: nil) }
        }
        for channel in self.dedicated {
            channel.close(promise: nil)
        }
        self.dedicated = []
    }

    /// Remembers a dedicated connection for ``reset()``; forgets those already closed.
    func track(dedicated channel: any Channel) {
        self.dedicated = self.dedicated.filter(\.isActive) + [channel]
    }

    /// The replica count learnt within `maxAge`, if any.
    func connectedReplicas(maxAge: Duration) -> Int? {
        guard let replicas = self.replicas, ContinuousClock.now - replicas.learnt < maxAge else { return nil }
        return replicas.count
    }

    func learnt(connectedReplicas count: Int) {
        self.replicas = (count, .now)
    }

    func shutdown() async {
        self.isShutDown = true
        self.dedicated = []
        let channels: [any Channel] = self.slots.compactMap {
            if case .ready(let channel) = $0 { return channel }
            return nil
        }
        self.slots = self.slots.map { _ in .idle }
        for channel in channels {
            try? await channel.close()
        }
    }

    private func connect() -> EventLoopFuture<any Channel> {
        RedisConnector.connect(self.configuration, group: self.eventLoopGroup)
    }
}
