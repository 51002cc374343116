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

    func shutdown() async {
        self.isShutDown = true
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

/// Opens one connection to Redis: TCP, the RESP pipeline, then AUTH and SELECT when the URL asks.
enum RedisConnector {
    static func connect(_ configuration: RedisConfiguration, group: any EventLoopGroup) -> EventLoopFuture<any Channel> {
        let timeout = TimeAmount.milliseconds(configuration.connectTimeout.milliseconds)
        return ClientBootstrap(group: group)
            .connectTimeout(timeout)
            // NIO enables TCP_NODELAY on client sockets by default; no option needed (and
            // `.socketOption(.tcp_nodelay)` would be SO_DEBUG at SOL_SOCKET, refused without root).
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        ByteToMessageHandler(RedisReplyDecoder()),
                        RedisCommandHandler()
                    )
                }
            }
            .connect(host: configuration.host, port: configuration.port)
            .flatMapError { error in
                group.next().makeFailedFuture(RedisError(.connectionFailed, "\(error)"))
            }
            .flatMap { channel in
                Self.handshake(on: channel, configuration: configuration).map { channel }
            }
    }

    /// AUTH and SELECT, when the URL asks for them, before the connection is handed out.
    private static func handshake(on channel: any Channel, configuration: RedisConfiguration) -> EventLoopFuture<Void> {
        var commands: [[String]] = []
        if let password = configuration.password {
            commands.append(["AUTH"] + (configuration.username.map { [$0] } ?? []) + [password])
        }
        if configuration.database != 0 {
            commands.append(["SELECT", String(configuration.database)])
        }
        let replies = commands.map {
            RedisClient.send($0, on: channel, timeout: configuration.commandTimeout)
        }
        return EventLoopFuture.whenAllSucceed(replies, on: channel.eventLoop).flatMapThrowing { values in
            if let failure = values.first(where: { if case .error = $0 { true } else { false } }) {
                channel.close(promise: nil)
                throw RedisError(.connectionFailed, "handshake refused: \(failure)")
            }
        }
    }
}
