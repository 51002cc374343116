import NIOCore
import NIOPosix

/// Opens connections to Redis: to the URL's host, or, with Sentinel, to the master the Sentinels
/// name, checked with `ROLE` to be a master before it is handed out.
enum RedisConnector {
    /// One connection to the master, ready for commands (TLS, AUTH and SELECT done).
    static func connect(_ configuration: RedisConfiguration, group: any EventLoopGroup) -> EventLoopFuture<any Channel> {
        guard let sentinel = configuration.sentinel else {
            return self.open(
                host: configuration.host, port: configuration.port, user: configuration.username, password: configuration.password,
                database: configuration.database, configuration: configuration, group: group
            )
        }
        return RedisSentinelLocator.master(of: sentinel, configuration: configuration, group: group).flatMap { address in
            self.open(
                host: address.host, port: address.port, user: configuration.username, password: configuration.password,
                database: configuration.database, configuration: configuration, group: group
            )
        }.flatMap { channel in
            Self.verifyMaster(channel, configuration: configuration)
        }
    }

    /// A connection to one node: TCP, TLS when configured, the RESP pipeline, then AUTH and SELECT when
    /// asked. With `pushes`, replies nobody asked for (Pub/Sub messages) go there instead of closing it.
    static func open(
        host: String, port: Int, user: String?, password: String?, database: Int, configuration: RedisConfiguration,
        group: any EventLoopGroup, pushes: AsyncStream<RedisValue>.Continuation? = nil
    ) -> EventLoopFuture<any Channel> {
        let timeout = TimeAmount.milliseconds(configuration.connectTimeout.milliseconds)
        let tls = configuration.tls
        return ClientBootstrap(group: group)
            .connectTimeout(timeout)
            // NIO enables TCP_NODELAY on client sockets by default; no option needed (and
            // `.socketOption(.tcp_nodelay)` would be SO_DEBUG at SOL_SOCKET, refused without root).
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(try tls.handler(serverHost: host))
                    }
                    try channel.pipeline.syncOperations.addHandlers(
                        ByteToMessageHandler(RedisReplyDecoder()),
                        RedisCommandHandler(pushes: pushes)
                    )
                }
            }
            .connect(host: host, port: port)
            .flatMapError { error in
                group.next().makeFailedFuture(RedisError(.connectionFailed, "\(host):\(port): \(error)"))
            }
            .flatMap { channel in
                Self.handshake(
                    on: channel, user: user, password: password, database: database, proveTLS: tls != nil,
                    timeout: configuration.commandTimeout
                ).map { channel }
            }
    }

    /// AUTH and SELECT, when asked for, before the connection is handed out. The first reply also
    /// proves the TLS handshake went through: a certificate that does not verify fails it here.
    private static func handshake(
        on channel: any Channel, user: String?, password: String?, database: Int, proveTLS: Bool, timeout: Duration
    ) -> EventLoopFuture<Void> {
        var commands: [[String]] = []
        if let password {
            commands.append(["AUTH"] + (user.map { [$0] } ?? []) + [password])
        }
        if database != 0 {
            commands.append(["SELECT", String(database)])
        }
        if commands.isEmpty && proveTLS {
            // Nothing to ask, but a TLS peer that fails verification must fail now, not at first use.
            commands.append(["PING"])
        }
        let replies = commands.map {
            RedisClient.send($0, on: channel, timeout: timeout)
        }
        return EventLoopFuture.whenAllSucceed(replies, on: channel.eventLoop).flatMapThrowing { values in
            if let failure = values.first(where: { if case .error = $0 { true } else { false } }) {
                channel.close(promise: nil)
                throw RedisError(.connectionFailed, "handshake refused: \(failure)")
            }
        }.flatMapErrorThrowing { error in
            channel.close(promise: nil)
            throw error as? RedisError ?? RedisError(.connectionFailed, "\(error)")
        }
    }

    /// `ROLE` must say `master`: a Sentinel that has not yet noticed a failover names a node that is a
    /// replica now, and writes sent there would fail with READONLY.
    private static func verifyMaster(_ channel: any Channel, configuration: RedisConfiguration) -> EventLoopFuture<any Channel> {
        RedisClient.send(["ROLE"], on: channel, timeout: configuration.commandTimeout).flatMapThrowing { reply in
            guard reply.array?.first?.string == "master" else {
                channel.close(promise: nil)
                throw RedisError(.notMaster, "the node Sentinel named answers ROLE with \(reply)")
            }
            return channel
        }
    }
}
