import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Tracing

/// A small async Redis client over hiredis's RESP parser and SwiftNIO channels.
///
/// No call blocks a thread: commands are written to a pooled channel and their replies awaited.
/// `pipeline` sends several commands in one round trip. Redis error replies surface as
/// `RedisError(.serverError)`; network trouble and timeouts as the other codes.
package struct RedisClient: Service, Sendable, CustomStringConvertible {
    let pool: RedisConnectionPool
    let configuration: RedisConfiguration
    let eventLoopGroup: any EventLoopGroup

    package init(
        configuration: RedisConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.pool = RedisConnectionPool(configuration: configuration, eventLoopGroup: eventLoopGroup)
    }

    package var description: String { "RedisClient(\(self.configuration))" }

    /// Sends one command and returns its reply.
    @discardableResult
    package func send(_ arguments: String...) async throws -> RedisValue {
        try await self.pipeline([arguments])[0]
    }

    /// Sends one command and returns its reply.
    @discardableResult
    package func send(_ arguments: [String]) async throws -> RedisValue {
        try await self.pipeline([arguments])[0]
    }

    /// Sends the commands together, in order, and returns their replies in the same order. Within a
    /// traced request, a client span named by the first command (no key, no argument).
    package func pipeline(_ commands: [[String]]) async throws -> [RedisValue] {
        guard ServiceContext.current != nil, let name = commands.first?.first else { return try await self.untracedPipeline(commands) }
        return try await withSpan("redis \(name)", ofKind: .client) { span in
            span.attributes["db.system"] = "redis"
            span.attributes["db.operation.batch.size"] = commands.count
            return try await self.untracedPipeline(commands)
        }
    }

    private func untracedPipeline(_ commands: [[String]]) async throws -> [RedisValue] {
        let channel = try await self.connection()
        let timeout = self.configuration.commandTimeout
        let futures = commands.map { Self.send($0, on: channel, timeout: timeout, flush: false) }
        channel.flush()
        var replies: [RedisValue] = []
        replies.reserveCapacity(futures.count)
        for future in futures {
            let reply = try await future.get()
            if case .error(let message) = reply {
                throw RedisError(.serverError, message)
            }
            replies.append(reply)
        }
        return replies
    }

    /// Runs a Lua script atomically (EVAL); Redis caches the compiled script by its hash.
    package func eval(_ script: String, keys: [String], arguments: [String]) async throws -> RedisValue {
        try await self.send(["EVAL", script, String(keys.count)] + keys + arguments)
    }

    /// True when Redis answers PING now.
    package func ping() async -> Bool {
        (try? await self.send("PING")) == .simpleString("PONG")
    }

    /// A pooled connection to the master.
    func connection() async throws -> any Channel {
        try await self.pool.connection()
    }

    /// Until shutdown; with Sentinel, follows its `+switch-master` events meanwhile.
    package func run() async throws {
        if let sentinel = self.configuration.sentinel {
            let watcher = RedisSentinelWatcher(settings: sentinel, configuration: self.configuration, group: self.eventLoopGroup) {
                [pool = self.pool] in await pool.reset()
            }
            await cancelWhenGracefulShutdown { await watcher.run() }
        } else {
            try? await gracefulShutdown()
        }
        await self.pool.shutdown()
    }

    static func send(
        _ arguments: [String],
        on channel: any Channel,
        timeout: Duration,
        flush: Bool = true
    ) -> EventLoopFuture<RedisValue> {
        let promise = channel.eventLoop.makePromise(of: RedisValue.self)
        var payload = channel.allocator.buffer(capacity: 64)
        payload.writeRedisCommand(arguments)
        let command = RedisCommand(payload: payload, promise: promise)
        let written = flush ? channel.writeAndFlush(command) : channel.write(command)
        written.whenFailure { error in
            promise.fail(RedisError(.connectionClosed, "\(error)"))
        }
        let timer = channel.eventLoop.scheduleTask(in: .milliseconds(timeout.milliseconds)) {
            // A reply that has not come in time: fail the caller, and drop the connection in case it is
            // half dead; the pool opens a fresh one on next use. A late reply finds a completed promise.
            promise.fail(RedisError(.timeout))
            channel.close(promise: nil)
        }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        return promise.futureResult
    }
}

extension Duration {
    /// Whole milliseconds, for NIO's `TimeAmount`.
    package var milliseconds: Int64 {
        self.components.seconds * 1000 + self.components.attoseconds / 1_000_000_000_000_000
    }
}
