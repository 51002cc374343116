import NIOCore

/// One Redis connection of its own, outside the pool: for a blocking command (`XREAD BLOCK`) that
/// would hold up every command pipelined behind it on a shared connection.
package struct RedisConnection: Sendable {
    private let channel: any Channel

    init(channel: any Channel) {
        self.channel = channel
    }

    package var isActive: Bool { self.channel.isActive }

    /// Sends one command; fails with ``RedisError`` `.timeout` (and drops the connection) when no
    /// reply comes within `timeout`.
    package func send(_ arguments: [String], timeout: Duration) async throws -> RedisValue {
        let reply = try await RedisClient.send(arguments, on: self.channel, timeout: timeout).get()
        if case .error(let message) = reply {
            throw RedisError(.serverError, message)
        }
        return reply
    }

    package func close() {
        self.channel.close(promise: nil)
    }
}

extension RedisClient {
    /// Opens a connection of its own (TCP, AUTH, SELECT), within the configured connect timeout.
    package func dedicatedConnection() async throws -> RedisConnection {
        RedisConnection(channel: try await RedisConnector.connect(self.configuration, group: self.eventLoopGroup).get())
    }
}
