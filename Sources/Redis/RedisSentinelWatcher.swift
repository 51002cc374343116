import NIOCore

/// Listens to a Sentinel's `+switch-master` events and, when the master this client uses moves,
/// closes the client's pooled connections at once: the next command opens one to the new master
/// instead of timing out against a node that may be partitioned rather than dead. A READONLY reply
/// and a dropped connection lead there too (``RedisCommandHandler``, ``RedisConnector``); this is the
/// fast path. When a Sentinel drops the subscription, the next one is asked.
struct RedisSentinelWatcher: Sendable {
    let settings: RedisSentinelSettings
    let configuration: RedisConfiguration
    let group: any EventLoopGroup
    /// Called when the master moved.
    let masterMoved: @Sendable () async -> Void

    /// Runs until cancelled.
    func run() async {
        var index = 0
        while !Task.isCancelled {
            let sentinel = self.settings.sentinels[index % self.settings.sentinels.count]
            index += 1
            await self.follow(sentinel)
            // A Sentinel that went away: the next one, after a pause that keeps a dead set from spinning.
            try? await Task.sleep(for: .milliseconds(500))
        }
    }

    private func follow(_ sentinel: RedisSentinelSettings.Address) async {
        let (messages, continuation) = AsyncStream.makeStream(of: RedisValue.self)
        let channel: any Channel
        do {
            channel = try await RedisConnector.open(
                host: sentinel.host, port: sentinel.port, user: self.settings.username, password: self.settings.password, database: 0,
                configuration: self.configuration, group: self.group, pushes: continuation
            ).get()
            _ = try await RedisClient.send(["SUBSCRIBE", "+switch-master"], on: channel, timeout: self.configuration.commandTimeout).get()
        } catch {
            continuation.finish()
            return
        }
        await withTaskCancellationHandler {
            for await message in messages {
                // ["message", "+switch-master", "<name> <old ip> <old port> <new ip> <new port>"]
                guard let parts = message.array, parts.count == 3, parts[0].string == "message",
                    let event = parts[2].string, event.split(separator: " ").first.map(String.init) == self.settings.masterName
                else { continue }
                await self.masterMoved()
            }
        } onCancel: {
            channel.close(promise: nil)
        }
    }
}
