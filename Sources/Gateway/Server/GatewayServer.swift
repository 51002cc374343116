import Common
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// The public listener: a SwiftNIO server whose connections are handled entirely on their event
/// loops by ``ClientConnectionHandler``. At graceful shutdown it stops accepting, lets requests
/// in flight finish (closing idle keep-alive connections at once), then flushes the request log and
/// closes the upstream pools.
struct GatewayServer: Service {
    let address: ListenAddress
    let shared: GatewayConnectionContext
    let logger: Logger
    var group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    /// How long requests in flight may take to finish once shutdown begins.
    var drainTimeout: Duration = .seconds(10)

    func run() async throws {
        let shared = self.shared
        let channel = try await ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            // Small reads: requests are small, and what a stalled client can make one read hold is bounded.
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: RequestBufferBudget.maxRead))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // The handler reads and writes HTTP/1.1 itself: one handler, bytes in and out.
                    try channel.pipeline.syncOperations.addHandler(
                        ClientConnectionHandler(shared: shared, state: shared.states.state(on: channel.eventLoop))
                    )
                }
            }
            .bind(host: self.address.host, port: self.address.port)
            .get()
        self.logger.info("Gateway listening", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")"])
        try? await gracefulShutdown()
        self.logger.info("Gateway draining")
        try? await channel.close()
        // Idle connections close at once; one with a request in flight closes after its response.
        await shared.states.onEach { state in
            for connection in state.deadlines.connections {
                connection.channel?.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
            }
        }
        let deadline = ContinuousClock.now + self.drainTimeout
        while await shared.states.onEach({ $0.deadlines.count }).reduce(0, +) > 0 {
            guard ContinuousClock.now < deadline else {
                self.logger.warning("Requests still in flight at the drain deadline: closing them")
                await shared.states.onEach { state in state.deadlines.connections.forEach { $0.channel?.close(promise: nil) } }
                break
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        await shared.requestLog?.flush()
        await shared.states.onEach { $0.upstreams.closeAll() }
    }
}
