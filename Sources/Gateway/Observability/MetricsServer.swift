import Common
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import ServiceLifecycle

/// Prometheus metrics on the gateway's metrics port (`GATEWAY_METRICS_PORT`), never on the public
/// one: `GET /metrics` and nothing else, written with NIO like the data plane, so the gateway links
/// no web framework. One answer per connection; a connection that sends nothing for ten seconds closes.
struct MetricsServer: Service {
    let registry: PrometheusCollectorRegistry
    let address: ListenAddress
    let logger: Logger
    var group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton

    func run() async throws {
        let channel = try await self.bind()
        self.logger.info("Metrics listening", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")"])
        try? await gracefulShutdown()
        try? await channel.close()
    }

    /// The listening socket, answering.
    func bind() async throws -> any Channel {
        let registry = self.registry
        return try await ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(allTimeout: .seconds(10)))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withPipeliningAssistance: false)
                    try channel.pipeline.syncOperations.addHandler(MetricsRequestHandler(registry: registry))
                }
            }
            .bind(host: self.address.host, port: self.address.port)
            .get()
    }
}

/// Answers the first request head of a connection, then closes it.
private final class MetricsRequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let registry: PrometheusCollectorRegistry
    private var answered = false

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let head) = self.unwrapInboundIn(data), !self.answered else { return }
        self.answered = true
        let found = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first == "/metrics"
        let status: HTTPResponseStatus = !found ? .notFound : (head.method == .GET || head.method == .HEAD) ? .ok : .methodNotAllowed
        let body = status == .ok ? ByteBuffer(bytes: self.registry.emitToBuffer()) : ByteBuffer(string: #"{"message":"Not found"}"#)
        var headers: HTTPHeaders = [
            "content-type": status == .ok ? "text/plain; version=0.0.4; charset=utf-8" : "application/json; charset=utf-8",
            "content-length": String(body.readableBytes),
            "connection": "close",
        ]
        if status == .methodNotAllowed { headers.add(name: "allow", value: "GET, HEAD") }
        context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        if head.method != .HEAD { context.write(self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.writeAndFlush(self.wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent { context.close(promise: nil) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
