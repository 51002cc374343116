import NIOCore
import NIOPosix

/// A bare TCP connection to a service, for the few tests that must control when each byte of a
/// request leaves: an HTTP client would send the whole request at once.
struct RawConnection {
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private var received: [UInt8] = []

    /// Connects to `port` on the loopback, runs `body`, and closes the connection afterwards.
    static func with<T>(port: Int, _ body: (inout RawConnection) async throws -> T) async throws -> T {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var connection = RawConnection(outbound: outbound, inbound: inbound.makeAsyncIterator())
            return try await body(&connection)
        }
    }

    func write(_ text: String) async throws {
        try await self.outbound.write(ByteBuffer(string: text))
    }

    /// The next response head, up to and including its blank line.
    mutating func readHead() async throws -> String {
        while true {
            if let end = self.received.firstRange(of: Array("\r\n\r\n".utf8)) {
                let head = String(decoding: self.received[..<end.upperBound], as: UTF8.self)
                self.received.removeSubrange(..<end.upperBound)
                return head
            }
            guard let more = try await self.inbound.next() else { return String(decoding: self.received, as: UTF8.self) }
            self.received += Array(buffer: more)
        }
    }

    /// Everything still to come, until the other side closes.
    mutating func readUntilClosed() async throws -> String {
        while let more = try await self.inbound.next() {
            self.received += Array(buffer: more)
        }
        defer { self.received.removeAll() }
        return String(decoding: self.received, as: UTF8.self)
    }
}
