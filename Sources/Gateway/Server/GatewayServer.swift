import Common
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// The public listener: a SwiftNIO HTTP/1.1 server whose connections are handled entirely on their
/// event loops by ``ClientConnectionHandler``. At graceful shutdown it stops accepting, lets requests
/// in flight finish (closing idle keep-alive connections at once), then flushes the request log and
/// closes the upstream pools.
struct GatewayServer: Service {
    let address: ListenAddress
    let shared: GatewayConnectionContext
    let logger: Logger
    var group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    /// How long requests in flight may take to finish once shutdown begins.
    var drainTimeout: Duration = .seconds(10)

    /// Header limits: large enough for any real token or cookie, small enough to bound memory.
    static let decoderLimits: NIOHTTPDecoderLimitConfiguration = {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = 16 * 1024
        limits.maxHeaderListSize = 32 * 1024
        limits.maxHeaderFieldCount = 256
        return limits
    }()

    func run() async throws {
        let shared = self.shared
        let channel = try await ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(ClientWireHandler())
                    // No outbound header validation: every header written is either parsed from a
                    // service's response by the same HTTP parser, or one of ours, so none can hold the
                    // CR or LF that validation looks for, and it cost a scan of every header.
                    // Pipelining is ClientConnectionHandler's (see ClientConnectionHandler+Pipelining).
                    try pipeline.configureHTTPServerPipeline(
                        withPipeliningAssistance: false,
                        withErrorHandling: false,
                        withOutboundHeaderValidation: false,
                        withEncoderConfiguration: .init(),
                        withDecoderLimitConfiguration: Self.decoderLimits
                    )
                    try pipeline.addHandler(ClientConnectionHandler(shared: shared, state: shared.states.state(on: channel.eventLoop)))
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
