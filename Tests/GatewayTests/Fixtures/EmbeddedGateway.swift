@testable import Gateway
import AsyncHTTPClient
import Common
import Logging
import NIOCore
import NIOEmbedded
import Redis
import TestSupport

/// One client connection of the gateway on an `EmbeddedChannel`, with every upstream connection an
/// `EmbeddedChannel` too: a test writes the client's bytes, reads exactly what each service was sent,
/// answers as a service would, and moves the clock, with no socket and no thread involved.
final class EmbeddedGateway {
    let loop = EmbeddedEventLoop()
    let client: EmbeddedChannel
    let handler: ClientConnectionHandler
    let state: EventLoopState
    private let upstreams: UpstreamRecorder

    /// The upstream connections opened so far, in order.
    var services: [EmbeddedChannel] { self.upstreams.channels }

    init(
        mint: TokenMint, timeouts: ClientTimeouts = ClientTimeouts(), maxBodyBytes: Int = 64 * 1024, requestBufferLimit: Int = 8 << 20,
        sessionCookies: SessionCookieSettings = SessionCookieSettings()
    ) async throws {
        let loop = self.loop
        let upstreams = UpstreamRecorder(loop: loop)
        self.upstreams = upstreams
        let connector = UpstreamConnector { _, _, _, done in
            loop.execute { done(upstreams.open()) }
        }
        let address = UpstreamAddress(url: "http://service.test:8083")!
        let keys = try await mint.keySet()
        let states = EventLoopStates(group: loop) { loop in
            EventLoopState(
                eventLoop: loop, revocations: RevocationView(maxLag: .seconds(3600)),
                upstreams: UpstreamPools(
                    auth: UpstreamPool(address: address, eventLoop: loop, connectTimeout: .seconds(1), maxIdle: 4, connector: connector),
                    content: UpstreamPool(address: address, eventLoop: loop, connectTimeout: .seconds(1), maxIdle: 4, connector: connector)
                ),
                requestBufferLimit: requestBufferLimit
            )
        }
        let state = states.state(on: loop)
        state.keys = keys
        state.revocations.replace(with: [], heardAt: .now() + .seconds(3000))
        self.state = state
        let logger = Logger(label: "embedded-gateway")
        let shared = GatewayConnectionContext(
            routes: RouteMatcher(),
            gate: AccessTokenGate(rules: AccessTokenRules(TokenSettings(issuer: testIssuer, audience: testAudience))),
            cors: CORSPolicy(allowedOrigins: ["http://localhost:8081"]),
            sessionCookies: sessionCookies,
            timeouts: timeouts,
            maxBodyBytes: maxBodyBytes,
            upstreamTimeout: .seconds(15),
            rateLimit: ClientRateLimit(redis: RedisClient(configuration: try RedisConfiguration(url: "redis://127.0.0.1:1"), eventLoopGroup: loop), limits: [:], window: 60),
            clientAddresses: ClientAddressResolver(trustedProxies: []),
            local: LocalResponses(assets: try WebAssets.load()),
            requestLog: nil,
            tracing: nil,
            keys: JWKSKeyProvider(url: "http://127.0.0.1:1/jwks", httpClient: HTTPClient.shared, logger: logger) { _ in },
            states: states,
            logger: logger
        )
        let handler = ClientConnectionHandler(shared: shared, state: state)
        self.handler = handler
        self.client = EmbeddedChannel(handler: handler, loop: loop)
        try await self.client.connect(to: SocketAddress(ipAddress: "198.51.100.7", port: 50_000)).get()
    }

    /// The client sends `text` (bytes sent after the gateway closed never arrive).
    func send(_ text: String) throws {
        guard self.client.isActive else { return }
        try self.client.writeInbound(ByteBuffer(string: text))
        self.loop.run()
    }

    /// The client sends FIN.
    func finishWriting() {
        self.client.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        self.loop.run()
    }

    /// Everything written to the client so far, as text.
    func written() throws -> String {
        var text = ""
        while let part = try self.client.readOutbound(as: ByteBuffer.self) {
            text += String(buffer: part)
        }
        return text
    }

    /// The answers written to the client so far, parsed by the test's own parser.
    func answers(bodiless: Bool = false) throws -> [RawResponse] {
        var bytes = ByteBuffer(string: try self.written())
        var answers: [RawResponse] = []
        while let (answer, length) = try RawResponseParser.parse(bytes, bodiless: bodiless, closed: !self.client.isActive) {
            answers.append(answer)
            bytes.moveReaderIndex(forwardBy: length)
        }
        return answers
    }

    /// What service connection `index` has been sent so far.
    func received(by index: Int) throws -> String {
        var text = ""
        while let part = try self.services[index].readOutbound(as: ByteBuffer.self) {
            text += String(buffer: part)
        }
        return text
    }

    /// Service connection `index` sends `text`.
    func answer(_ index: Int, _ text: String) throws {
        try self.services[index].writeInbound(ByteBuffer(string: text))
        self.loop.run()
    }

    /// Lets `seconds` pass for the connection's deadlines.
    func advance(by seconds: Double) {
        self.handler.checkDeadlines(now: .now() + .nanoseconds(Int64(seconds * 1e9)))
        self.loop.run()
    }

    /// Whether the client connection was closed (or half-closed for lingering).
    var clientClosed: Bool { !self.client.isActive || self.handler.machine.state == .closing }
}

/// Opens the embedded upstream connections of an ``EmbeddedGateway`` and keeps them.
private final class UpstreamRecorder: @unchecked Sendable {
    let loop: EmbeddedEventLoop
    var channels: [EmbeddedChannel] = []

    init(loop: EmbeddedEventLoop) {
        self.loop = loop
    }

    func open() -> Result<UpstreamConnection, any Error> {
        let handler = UpstreamHandler()
        let channel = EmbeddedChannel(handler: handler, loop: self.loop)
        self.channels.append(channel)
        return Result {
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8083)).wait()
            return UpstreamConnection(channel: channel, handler: handler)
        }
    }
}

/// A service's answer: `status`, with a body sized by `Content-Length`.
func serviceAnswer(_ status: Int = 200, _ body: String = "ok", headers: [(String, String)] = []) -> String {
    var text = "HTTP/1.1 \(status) Whatever\r\n"
    for (name, value) in headers { text += "\(name): \(value)\r\n" }
    return text + "Content-Length: \(body.utf8.count)\r\n\r\n" + body
}
