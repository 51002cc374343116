import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

@testable import Gateway

@Suite("The gateway's keep-alive fast path to an upstream")
struct KeepAliveUpstreamClientTests {
    static func client(_ baseURL: String, maxBodyBytes: Int = 1 << 20) throws -> KeepAliveUpstreamClient {
        try #require(KeepAliveUpstreamClient(baseURL: baseURL, maxBodyBytes: maxBodyBytes, connectTimeout: .seconds(1)))
    }

    static func get(_ uri: String, host: String) -> HTTPRequestHead {
        HTTPRequestHead(version: .http1_1, method: .GET, uri: uri, headers: ["Host": host, "x-access-token": "abc"])
    }

    @Test("a GET reaches the upstream with its path, query and headers, and the whole answer comes back")
    func roundTrip() async throws {
        try await withEchoUpstream { url in
            let client = try Self.client(url)
            let response = try await client.execute(Self.get("/api/test/user?x=1", host: client.hostHeader), timeout: .seconds(5))
            #expect(response.head.status == .ok)
            let echoed = try JSONDecoder().decode(EchoedRequest.self, from: Data(buffer: response.body))
            #expect(echoed.uri == "/api/test/user?x=1")
            #expect(echoed.header("x-access-token") == ["abc"])
            await client.shutdown()
        }
    }

    @Test("fifty concurrent requests all get their own answer")
    func concurrentRequests() async throws {
        try await withEchoUpstream { url in
            let client = try Self.client(url)
            let uris = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        let response = try await client.execute(Self.get("/api/test/user?n=\(index)", host: client.hostHeader), timeout: .seconds(10))
                        return try JSONDecoder().decode(EchoedRequest.self, from: Data(buffer: response.body)).uri
                    }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(uris == Set((0..<50).map { "/api/test/user?n=\($0)" }))
            await client.shutdown()
        }
    }

    @Test("a pooled connection the upstream closed is replaced without the caller noticing")
    func staleConnectionReplaced() async throws {
        let server = try await ClosingUpstream.start()
        let client = try Self.client("http://127.0.0.1:\(server.port)")
        for _ in 0..<3 {
            let response = try await client.execute(Self.get("/", host: client.hostHeader), timeout: .seconds(5))
            #expect(response.head.status == .ok)
            #expect(String(buffer: response.body) == "ok")
            // The upstream closes each connection shortly after answering, as a stopping replica does.
            try await Task.sleep(for: .milliseconds(150))
        }
        await client.shutdown()
        try await server.channel.close()
    }

    @Test("an upstream that is down fails the request quickly")
    func upstreamDown() async throws {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(channel.localAddress?.port)
        try await channel.close()
        let client = try Self.client("http://127.0.0.1:\(port)")
        let started = ContinuousClock.now
        await #expect(throws: (any Error).self) {
            _ = try await client.execute(Self.get("/", host: client.hostHeader), timeout: .seconds(5))
        }
        #expect(ContinuousClock.now - started < .seconds(3))
    }

    @Test("an answer larger than the limit is refused, not buffered")
    func bodyLimit() async throws {
        try await withEchoUpstream { url in
            let client = try Self.client(url, maxBodyBytes: 16)
            await #expect(throws: UpstreamExchangeError(code: .bodyTooLarge)) {
                _ = try await client.execute(Self.get("/api/test/user", host: client.hostHeader), timeout: .seconds(5))
            }
            await client.shutdown()
        }
    }
}

/// An upstream that answers `ok` with keep-alive, then closes the connection 50 ms later.
private enum ClosingUpstream {
    struct Running {
        let channel: any Channel
        let port: Int
    }

    static func start() async throws -> Running {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(AnswerThenClose())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return Running(channel: channel, port: try #require(channel.localAddress?.port))
    }

    final class AnswerThenClose: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .end = self.unwrapInboundIn(data) else { return }
            let head = HTTPResponseHead(version: .http1_1, status: .ok, headers: ["Content-Length": "2"])
            context.write(self.wrapOutboundOut(.head(head)), promise: nil)
            context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "ok")))), promise: nil)
            context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
            let channel = context.channel
            context.eventLoop.scheduleTask(in: .milliseconds(50)) { channel.close(promise: nil) }
        }
    }
}
