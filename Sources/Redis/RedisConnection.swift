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
        try await self.command(arguments, timeout: timeout).get()
    }

    /// ``send(_:timeout:)`` as a future on the connection's event loop, for callers that live there.
    package func command(_ arguments: [String], timeout: Duration) -> EventLoopFuture<RedisValue> {
        RedisClient.send(arguments, on: self.channel, timeout: timeout).flatMapThrowing { reply in
            if case .error(let message) = reply {
                throw RedisError(.serverError, message)
            }
            return reply
        }
    }

    package func close() {
        self.channel.close(promise: nil)
    }
}

extension RedisClient {
    /// Opens a connection of its own (TCP, AUTH, SELECT), within the configured connect timeout.
    package func dedicatedConnection() async throws -> RedisConnection {
        try await self.dedicatedConnection(on: self.eventLoopGroup.next()).get()
    }

    /// ``dedicatedConnection()`` on `loop`, as a future, for callers that live on that loop.
    ///
    /// With Sentinel the pool keeps track of it, so that `+switch-master` closes it as it closes the
    /// pooled ones: a blocking read on a demoted master that Sentinel has not yet reconfigured would
    /// go on answering, empty, while the writes go to the new master.
    package func dedicatedConnection(on loop: any EventLoop) -> EventLoopFuture<RedisConnection> {
        let connected = RedisConnector.connect(self.configuration, group: loop)
        guard self.configuration.sentinel != nil else { return connected.map { RedisConnection(channel: $0) } }
        return connected.flatMap { [pool = self.pool] channel in
            let tracked = loop.makePromise(of: RedisConnection.self)
            tracked.completeWithTask {
                await pool.track(dedicated: channel)
                return RedisConnection(channel: channel)
            }
            return tracked.futureResult
        }
    }
}
