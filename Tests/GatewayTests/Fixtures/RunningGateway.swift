@testable import Gateway
import AsyncHTTPClient
import Common
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Testing
import TestSupport

let allowedOrigin = "http://localhost:8081"
/// Exclusive tests run one at a time, so they can share these.
private let exclusiveTestLoops = MultiThreadedEventLoopGroup(numberOfThreads: 2)
/// Nothing listens on port 1 of the loopback: connections to it are refused at once.
let closedURL = "http://127.0.0.1:1"

/// The gateway under test, in this process: built by `buildApplication` exactly as `App` builds
/// it, on a free loopback port, run by a service group of the test's own so that a test can shut
/// it down gracefully, as SIGTERM would.
struct RunningGateway: Sendable {
    let port: Int
    let configuration: GatewayConfiguration
    let logs: LogCapture
    let group: ServiceGroup
    /// The event loops the gateway and the raw clients of its test run on.
    let loops: any EventLoopGroup

    var url: String { "http://127.0.0.1:\(self.port)" }

    /// Begins a graceful shutdown (what SIGTERM does) without waiting for it.
    func beginShutdown() async {
        await self.group.triggerGracefulShutdown()
    }

    /// A raw connection to the gateway.
    func connect() async throws -> RawClient {
        try await RawClient.connect(port: self.port, group: self.loops)
    }

    /// Sends one request through a real HTTP client and collects the whole answer.
    func send(_ method: HTTPMethod = .GET, _ uri: String, headers: HTTPHeaders = [:], body: [UInt8]? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: self.url + uri)
        request.method = method
        request.headers = headers
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 128 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, body: bytes.getBytes(at: bytes.readerIndex, length: bytes.readableBytes) ?? [])
    }

    func send(_ method: HTTPMethod = .GET, _ uri: String, headers: HTTPHeaders = [:], body: String) async throws -> Reply {
        try await self.send(method, uri, headers: headers, body: Array(body.utf8))
    }
}

/// A response as AsyncHTTPClient delivered it.
struct Reply: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]

    var text: String { String(decoding: self.body, as: UTF8.self) }
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(self.body))) as? [String: Any] ?? [:] }

    /// The contract's error body, `{"message": ...}`, with nothing else in it.
    var message: String? {
        let object = self.json
        return object.count == 1 ? object["message"] as? String : nil
    }
}

/// What a gateway under test needs besides its configuration.
struct GatewaySetup: Sendable {
    var mint: TokenMint
    /// Both services (auth and content) are this stand-in unless `configure` says otherwise.
    var upstream: StandInService?
    var redisURL: String
    /// Wait until the revocation record is loaded before the test starts (off when Redis is away).
    var waitForRevocations = true
    /// Run alone among this target's live tests (``LiveTestGate``): for tests that measure time.
    var exclusive = false
}

/// Starts a gateway (and a JWKS stand-in publishing `setup.mint`'s key), runs `body`, then shuts
/// the gateway down gracefully and waits until it has stopped.
func withGateway<T: Sendable>(
    _ setup: GatewaySetup,
    configure: (inout GatewayConfiguration) -> Void = { _ in },
    _ body: (RunningGateway) async throws -> T
) async throws -> T {
    try await LiveTestGate.shared.withPass(exclusive: setup.exclusive) {
        let jwks = try await StandInService.start { [document = setup.mint.jwks] _ in
            .respond(headers: ["content-type": "application/json"], body: Array((try? JSONEncoder().encode(document)) ?? Data()))
        }
        do {
            let result = try await runGateway(setup, jwksURL: jwks.url + "/.well-known/jwks.json", configure: configure, body)
            await jwks.stop()
            return result
        } catch {
            await jwks.stop()
            throw error
        }
    }
}

private func runGateway<T: Sendable>(
    _ setup: GatewaySetup,
    jwksURL: String,
    configure: (inout GatewayConfiguration) -> Void,
    _ body: (RunningGateway) async throws -> T
) async throws -> T {
    let port = try await GatewayPorts.shared.next()
    var configuration = try GatewayConfiguration(
        address: ListenAddress(host: "127.0.0.1", port: port),
        authServiceURL: setup.upstream?.url ?? closedURL,
        contentServiceURL: setup.upstream?.url ?? closedURL,
        jwksURL: jwksURL,
        tokens: TokenSettings(issuer: testIssuer, audience: testAudience),
        corsAllowedOrigins: [allowedOrigin],
        redisURL: setup.redisURL,
        // Generous: a test process running hundreds of tests on two cores can starve the feed's
        // task for a second. Tests of the fail-closed bound set it back to the default of 1 s.
        revocationMaxLag: 5,
        rateLimits: [:],
        logsRequests: false
    )
    configure(&configuration)
    let logs = LogCapture()
    let logger = logs.logger()
    // An exclusive test is one that times its deadlines in fractions of a second: its gateway and
    // clients get event loops of their own, which the hundreds of tests around it cannot hold up.
    let loops: any EventLoopGroup = setup.exclusive ? exclusiveTestLoops : MultiThreadedEventLoopGroup.singleton
    let application = try await buildApplication(configuration: configuration, logger: logger, group: loops)
    let group = ServiceGroup(services: application.services, logger: logger)
    let gateway = RunningGateway(port: port, configuration: configuration, logs: logs, group: group, loops: loops)
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        do {
            try await waitUntilReady(gateway, revocations: setup.waitForRevocations)
            let result = try await body(gateway)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
    }
}

/// Polls `/health/ready` until the gateway has its keys (and, if asked, its revocation record).
private func waitUntilReady(_ gateway: RunningGateway, revocations: Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(10)
    var last = "no answer"
    while ContinuousClock.now < deadline {
        if let reply = try? await gateway.send(.GET, "/health/ready"), let checks = reply.json["checks"] as? [String: String] {
            if checks["jwks"] == "ok", !revocations || checks["revocations"] == "ok" { return }
            last = reply.text
        }
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("the gateway on port \(gateway.port) was not ready within 10 s: \(last)")
    throw StandInError(message: "gateway not ready")
}

/// Listen ports for gateways under test: above the kernel's ephemeral range (32768–60999), so no
/// outgoing connection can hold one, and below the test Redis ports (63790 and up); never the same
/// one twice in a run. The end-to-end suite takes its ports from 20000–32000.
actor GatewayPorts {
    static let shared = GatewayPorts()
    private var next = Int.random(in: 61_000..<62_000)

    func next() async throws -> Int {
        for _ in 0..<100 {
            let candidate = self.next
            self.next = candidate + 1 < 63_000 ? candidate + 1 : 61_000
            // SO_REUSEADDR, as the gateway binds: the probe must not refuse a port that only a
            // connection of an earlier gateway, in TIME-WAIT, still names.
            let probe = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            if let channel = try? await probe.bind(host: "127.0.0.1", port: candidate).get() {
                try await channel.close()
                return candidate
            }
        }
        throw StandInError(message: "no free port in 61000..<63000")
    }
}
