import NIOCore
import NIOPosix
import Synchronization
import TestSupport

/// A TCP relay between the gateway and the test Redis that a test can cut off, so one test can
/// take "Redis" away from its gateway without touching the Redis every other test uses.
///
/// - ``sever()``: every relayed connection is closed and new ones are closed at once, as when
///   Redis is stopped or its host is gone.
/// - ``pause()``: connections stay open (new ones are accepted) but no byte passes either way, as
///   when Redis is frozen (SIGSTOP) or the network drops packets.
/// - ``restore()``: bytes flow again, held ones first.
final class RedisRelay: Sendable {
    enum Mode: Sendable {
        case open
        case paused
        case severed
    }

    private struct State {
        var mode = Mode.open
        var channels: [ObjectIdentifier: any Channel] = [:]
    }

    let port: Int
    private let listener: any Channel
    private let state: Mutex<State>

    private init(listener: any Channel, port: Int) {
        self.listener = listener
        self.port = port
        self.state = Mutex(State())
    }

    /// The relayed Redis URL for `database`.
    func url(database: Int) -> String { "redis://127.0.0.1:\(self.port)/\(database)" }

    static func start() async throws -> RedisRelay {
        let target = try TestRedis.address()
        let box = Box()
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { inbound in
                inbound.eventLoop.makeCompletedFuture {
                    try inbound.pipeline.syncOperations.addHandler(Acceptor(relay: box, target: target))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let relay = RedisRelay(listener: listener, port: listener.localAddress?.port ?? 0)
        box.relay.withLock { $0 = relay }
        return relay
    }

    func sever() {
        let channels = self.state.withLock { state in
            state.mode = .severed
            defer { state.channels = [:] }
            return Array(state.channels.values)
        }
        for channel in channels { channel.close(promise: nil) }
    }

    func pause() {
        let channels = self.state.withLock { state in
            state.mode = .paused
            return Array(state.channels.values)
        }
        for channel in channels { channel.setOption(.autoRead, value: false).whenComplete { _ in } }
    }

    func restore() {
        let channels = self.state.withLock { state in
            state.mode = .open
            return Array(state.channels.values)
        }
        for channel in channels { channel.setOption(.autoRead, value: true).whenComplete { _ in } }
    }

    func stop() async {
        self.sever()
        try? await self.listener.close()
    }

    /// Connects `inbound`, which is active and not reading yet, to Redis, then lets bytes flow
    /// unless the relay is paused or severed by then.
    fileprivate func accept(_ inbound: any Channel, target: (host: String, port: Int)) {
        guard self.track(inbound) != .severed else {
            inbound.close(promise: nil)
            return
        }
        ClientBootstrap(group: inbound.eventLoop)
            .channelInitializer { outbound in
                outbound.eventLoop.makeCompletedFuture { try outbound.pipeline.syncOperations.addHandler(Forwarder(partner: inbound)) }
            }
            .connect(host: target.host, port: target.port)
            .whenComplete { result in
                guard case .success(let outbound) = result else {
                    inbound.close(promise: nil)
                    return
                }
                let mode = self.track(outbound)
                do {
                    try inbound.pipeline.syncOperations.addHandler(Forwarder(partner: outbound))
                } catch {
                    inbound.close(promise: nil)
                    return
                }
                switch mode {
                case .open: inbound.setOption(.autoRead, value: true).whenComplete { _ in }
                case .paused: outbound.setOption(.autoRead, value: false).whenComplete { _ in }
                case .severed: inbound.close(promise: nil)
                }
            }
    }

    /// Remembers `channel` until it closes; returns the mode in force.
    private func track(_ channel: any Channel) -> Mode {
        let id = ObjectIdentifier(channel)
        let mode = self.state.withLock { state in
            if state.mode != .severed { state.channels[id] = channel }
            return state.mode
        }
        channel.closeFuture.whenComplete { _ in _ = self.state.withLock { $0.channels.removeValue(forKey: id) } }
        return mode
    }

    /// Lets the accept closure reach the relay that is built once the listener is bound.
    fileprivate final class Box: Sendable {
        let relay = Mutex<RedisRelay?>(nil)
    }
}

/// Starts relaying a connection once it is active (registered, so its options take effect).
private final class Acceptor: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    let relay: RedisRelay.Box
    let target: (host: String, port: Int)

    init(relay: RedisRelay.Box, target: (host: String, port: Int)) {
        self.relay = relay
        self.target = target
    }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        guard let relay = self.relay.relay.withLock({ $0 }) else {
            context.close(promise: nil)
            return
        }
        context.pipeline.syncOperations.removeHandler(self, promise: nil)
        relay.accept(context.channel, target: self.target)
    }
}

/// Writes whatever one side of a relayed connection reads to the other side, and closes the
/// other side when this one closes.
private final class Forwarder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let partner: any Channel

    init(partner: any Channel) { self.partner = partner }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.partner.writeAndFlush(self.unwrapInboundIn(data), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.partner.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
