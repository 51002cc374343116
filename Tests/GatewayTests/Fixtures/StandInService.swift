import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// What a stand-in service saw of one request.
struct ReceivedRequest: Sendable {
    var method: HTTPMethod
    var uri: String
    var version: HTTPVersion
    var headers: HTTPHeaders
    var body: [UInt8]
    /// The accepted connection it came on (0, 1, …) and its place on that connection (0, 1, …).
    var connection: Int
    var indexOnConnection: Int
    /// Its place among all requests the stand-in received.
    var index: Int
}

/// How a stand-in answers one request.
enum StandInAnswer: Sendable {
    case respond(status: HTTPResponseStatus = .ok, headers: HTTPHeaders = [:], body: [UInt8] = [], delay: Duration = .zero)
    /// 200 JSON `{"method", "uri", "body"}`: what arrived, so a client can tell answers apart.
    case echo
    /// 200 without a length, in these chunks.
    case chunked([[UInt8]])
    /// 200 with `Content-Length: totalBytes` of ``StandInService/pattern(offset:count:)``, written 64 KiB
    /// at a time as the socket takes it; ``StandInService/bytesStreamed`` counts what went out.
    case stream(totalBytes: Int)
    /// A head announcing `declaredLength` bytes, these bytes, then the connection closes.
    case truncate(declaredLength: Int, sending: [UInt8])
    /// The connection closes without an answer.
    case close
    /// No answer, ever.
    case hang
}

/// A service behind the gateway, for tests: a SwiftNIO HTTP/1.1 server on a free loopback port
/// that records every connection, byte and request it receives and answers as its script says.
final class StandInService: Sendable {
    let port: Int
    private let channel: any Channel
    let recorder: Recorder

    var url: String { "http://127.0.0.1:\(self.port)" }
    var requests: [ReceivedRequest] { self.recorder.state.withLock { $0.requests } }
    var connectionCount: Int { self.recorder.state.withLock { $0.connections } }
    var bytesReceived: Int { self.recorder.state.withLock { $0.bytesReceived } }
    var bytesStreamed: Int { self.recorder.state.withLock { $0.bytesStreamed } }

    private init(channel: any Channel, port: Int, recorder: Recorder) {
        self.channel = channel
        self.port = port
        self.recorder = recorder
    }

    static func start(_ script: @escaping @Sendable (ReceivedRequest) -> StandInAnswer = { _ in .echo }) async throws -> StandInService {
        let recorder = Recorder()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let connection = recorder.state.withLock { state in
                        state.connections += 1
                        return state.connections - 1
                    }
                    try channel.pipeline.syncOperations.addHandler(ByteCounter(recorder: recorder))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(ScriptedResponder(connection: connection, recorder: recorder, script: script))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return StandInService(channel: channel, port: channel.localAddress?.port ?? 0, recorder: recorder)
    }

    func stop() async {
        try? await self.channel.close()
    }

    /// Waits until `count` requests have arrived.
    func waitForRequests(_ count: Int, within timeout: Duration = .seconds(5)) async throws {
        let deadline = ContinuousClock.now + timeout
        while self.requests.count < count {
            guard ContinuousClock.now < deadline else { throw StandInError(message: "only \(self.requests.count) of \(count) requests arrived") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// The bytes of a ``StandInAnswer/stream(totalBytes:)`` body from `offset`, at most 64 KiB: a
    /// pattern with a prime period, which shows any byte lost, repeated or reordered.
    static func pattern(offset: Int, count: Int) -> ArraySlice<UInt8> {
        precondition(count <= 65_536)
        let start = offset % 251
        return self.cycle[start..<(start + count)]
    }

    /// Whether `bytes` is the pattern from offset 0 (compared 64 KiB at a time with memcmp: a
    /// debug build's element loop would take seconds for tens of MiB).
    static func isPattern(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { received in
            var offset = 0
            while offset < received.count {
                let count = min(65_536, received.count - offset)
                let same = self.pattern(offset: offset, count: count).withUnsafeBytes { expected in
                    memcmp(received.baseAddress! + offset, expected.baseAddress!, count) == 0
                }
                guard same else { return false }
                offset += count
            }
            return true
        }
    }

    /// 64 KiB and one period of the pattern, so that any part of up to 64 KiB is one slice.
    private static let cycle: [UInt8] = (0..<(65_536 + 251)).map { UInt8($0 % 251) }

    /// Everything the stand-in saw, behind one lock: handlers on several event loops write it, the
    /// test reads it.
    final class Recorder: Sendable {
        struct State {
            var connections = 0
            var bytesReceived = 0
            var bytesStreamed = 0
            var requests: [ReceivedRequest] = []
        }

        let state = Mutex(State())
    }
}

struct StandInError: Error, CustomStringConvertible {
    var message: String
    var description: String { self.message }
}

/// Counts raw bytes before HTTP parsing: "nothing arrived" means not even a partial head.
private final class ByteCounter: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let recorder: StandInService.Recorder

    init(recorder: StandInService.Recorder) { self.recorder = recorder }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let count = self.unwrapInboundIn(data).readableBytes
        self.recorder.state.withLock { $0.bytesReceived += count }
        context.fireChannelRead(data)
    }
}
