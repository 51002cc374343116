import NIOCore

/// Asks the Sentinels, one after another until one answers, where the master is
/// (`SENTINEL get-master-addr-by-name`). Asked for every new connection: connections live long, so
/// this costs a round trip now and then, and a connection opened after a failover goes to the new
/// master without the client having to notice the failover first.
enum RedisSentinelLocator {
    static func master(
        of settings: RedisSentinelSettings, configuration: RedisConfiguration, group: any EventLoopGroup
    ) -> EventLoopFuture<RedisSentinelSettings.Address> {
        self.ask(settings, from: 0, configuration: configuration, group: group, failures: [])
    }

    private static func ask(
        _ settings: RedisSentinelSettings, from index: Int, configuration: RedisConfiguration, group: any EventLoopGroup, failures: [String]
    ) -> EventLoopFuture<RedisSentinelSettings.Address> {
        guard index < settings.sentinels.count else {
            return group.next().makeFailedFuture(
                RedisError(.connectionFailed, "no Sentinel named master \(settings.masterName): " + failures.joined(separator: "; "))
            )
        }
        let sentinel = settings.sentinels[index]
        return RedisConnector.open(
            host: sentinel.host, port: sentinel.port, user: settings.username, password: settings.password, database: 0,
            configuration: configuration, group: group
        ).flatMap { channel in
            RedisClient.send(["SENTINEL", "get-master-addr-by-name", settings.masterName], on: channel, timeout: configuration.commandTimeout)
                .always { _ in channel.close(promise: nil) }
        }.flatMapThrowing { reply -> RedisSentinelSettings.Address in
            guard let fields = reply.array, fields.count == 2, let host = fields[0].string, let port = fields[1].string.flatMap({ Int($0) }) else {
                throw RedisError(.unexpectedReply, "\(sentinel) does not know master \(settings.masterName): \(reply)")
            }
            return RedisSentinelSettings.Address(host: host, port: port)
        }.flatMapError { error in
            self.ask(settings, from: index + 1, configuration: configuration, group: group, failures: failures + ["\(sentinel): \(error)"])
        }
    }

}
