import Common
import NIOCore
import NIOPosix
import Testing

/// A client that writes exactly the bytes a test gives it and reads what comes back, for framing
/// cases no HTTP client library would send. Reads wait on the connection's event loop with a
/// deadline, so a test that expects an answer fails instead of hanging when none comes.
struct RawClient: Sendable {
    struct TimedOut: Error, CustomStringConvertible {
        var waitingFor: String
        var received: String
        var description: String { "no \(self.waitingFor) in time; received so far: \(self.received.debugDescription)" }
    }

    struct ClosedEarly: Error, CustomStringConvertible {
        var received: String
        var description: String { "the connection closed before a complete response; received: \(self.received.debugDescription)" }
    }

    let channel: any Channel
    private let collector: NIOLoopBound<Collector>

    static func connect(port: Int, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> RawClient {
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collector()) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        let collector = try await channel.eventLoop.submit {
            NIOLoopBound(try channel.pipeline.syncOperations.handler(type: Collector.self), eventLoop: channel.eventLoop)
        }.get()
        return RawClient(channel: channel, collector: collector)
    }

    func send(_ text: String) async throws {
        try await self.channel.writeAndFlush(ByteBuffer(string: text))
    }

    func send(bytes: [UInt8]) async throws {
        try await self.channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    /// Sends FIN: the client will write nothing more.
    func finishWriting() async throws {
        try await self.channel.close(mode: .output)
    }

    func close() async {
        try? await self.channel.close()
    }

    /// Stops or resumes reading from the socket, as a slow reader would.
    func setReading(_ reading: Bool) async throws {
        try await self.channel.setOption(.autoRead, value: reading).get()
        if reading { self.channel.read() }
    }

    /// The next complete response (a 100 Continue counts as one).
    func readResponse(within timeout: Duration = .seconds(5), bodiless: Bool = false) async throws -> RawResponse {
        try await self.wait(for: "response", within: timeout) { bytes, closed in
            if let (response, length) = try RawResponseParser.parse(bytes, bodiless: bodiless, closed: closed) {
                bytes.moveReaderIndex(forwardBy: length)
                return response
            }
            if closed { throw ClosedEarly(received: String(buffer: bytes)) }
            return nil
        }
    }

    /// Waits until the server closes the connection; returns what arrived and was not read yet.
    func readUntilClosed(within timeout: Duration = .seconds(5)) async throws -> [UInt8] {
        try await self.wait(for: "close", within: timeout) { bytes, closed in
            guard closed else { return nil }
            defer { bytes.clear() }
            return bytes.getBytes(at: bytes.readerIndex, length: bytes.readableBytes) ?? []
        }
    }

    /// Whether the server closed the connection within `timeout` (false: still open at the end).
    func isClosed(within timeout: Duration) async throws -> Bool {
        do {
            _ = try await self.readUntilClosed(within: timeout)
            return true
        } catch is TimedOut {
            return false
        }
    }

    /// How many bytes arrived so far (read or not).
    func receivedByteCount() async throws -> Int {
        try await self.channel.eventLoop.submit { self.collector.value.total }.get()
    }

    private func wait<T: Sendable>(
        for what: String, within timeout: Duration,
        _ check: @escaping @Sendable (inout ByteBuffer, Bool) throws -> T?
    ) async throws -> T {
        let collector = self.collector
        let loop = self.channel.eventLoop
        return try await loop.flatSubmit {
            let promise = loop.makePromise(of: T.self)
            collector.value.waitFor(check, promise: promise, timeout: TimeAmount.nanoseconds(Int64(timeout.milliseconds) * 1_000_000), what: what)
            return promise.futureResult
        }.get()
    }

    /// Keeps what arrived and hands it to the one waiting reader.
    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer

        private var bytes = ByteBuffer()
        private var closed = false
        private(set) var total = 0
        private var waiter: ((inout ByteBuffer, Bool) -> Bool)?
        private var context: ChannelHandlerContext?

        func handlerAdded(context: ChannelHandlerContext) { self.context = context }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var part = self.unwrapInboundIn(data)
            self.total += part.readableBytes
            self.bytes.writeBuffer(&part)
            self.poll()
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case ChannelEvent.inputClosed = event { self.closedByPeer() }
        }

        func channelInactive(context: ChannelHandlerContext) { self.closedByPeer() }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            // A reset counts as the end of the connection, which is what the tests look at.
            self.closedByPeer()
            context.close(promise: nil)
        }

        private func closedByPeer() {
            self.closed = true
            self.poll()
        }

        func waitFor<T: Sendable>(_ check: @escaping (inout ByteBuffer, Bool) throws -> T?, promise: EventLoopPromise<T>, timeout: TimeAmount, what: String) {
            let timer = self.context!.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
                self.waiter = nil
                promise.fail(TimedOut(waitingFor: what, received: String(buffer: self.bytes)))
            }
            self.waiter = { bytes, closed in
                do {
                    guard let value = try check(&bytes, closed) else { return false }
                    timer.cancel()
                    promise.succeed(value)
                } catch {
                    timer.cancel()
                    promise.fail(error)
                }
                return true
            }
            self.poll()
        }

        private func poll() {
            guard let waiter = self.waiter else { return }
            if waiter(&self.bytes, self.closed) { self.waiter = nil }
        }
    }
}
