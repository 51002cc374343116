import Configuration

extension RedisConfiguration {
    /// Reads `REDIS_URL`, the TLS files (`REDIS_CA_FILE`, `REDIS_CERT_FILE`, `REDIS_KEY_FILE`), the
    /// Sentinels (`REDIS_SENTINELS`, `REDIS_SENTINEL_MASTER`, `REDIS_SENTINEL_USERNAME`,
    /// `REDIS_SENTINEL_PASSWORD`) and, for a client whose writes must survive a failover (`durable`),
    /// `REDIS_WAIT_REPLICAS` (default 1 with Sentinels, else 0) and `REDIS_WAIT_TIMEOUT` (seconds).
    package init(config: ConfigReader, durable: Bool) throws {
        let sentinel = try RedisSentinelSettings(
            list: config.string(forKey: "redis.sentinels", default: ""),
            masterName: config.string(forKey: "redis.sentinel.master"),
            username: config.string(forKey: "redis.sentinel.username"),
            password: config.string(forKey: "redis.sentinel.password", isSecret: true)
        )
        var durability = RedisDurability.none
        if durable {
            let replicas = config.int(forKey: "redis.wait.replicas", default: sentinel == nil ? 0 : 1)
            let timeout = config.double(forKey: "redis.wait.timeout", default: 0.5)
            guard replicas >= 0, timeout > 0, timeout.isFinite else {
                throw RedisError(.invalidURL, "REDIS_WAIT_REPLICAS must be 0 or more and REDIS_WAIT_TIMEOUT a positive number of seconds")
            }
            if replicas > 0 {
                durability = RedisDurability(replicas: replicas, timeout: .milliseconds(Int64(timeout * 1000)))
            }
        }
        try self.init(
            url: config.string(forKey: "redis.url", isSecret: true, default: "redis://127.0.0.1:6379"),
            tlsFiles: RedisTLSFiles(
                caFile: config.string(forKey: "redis.ca.file"),
                certificateFile: config.string(forKey: "redis.cert.file"),
                keyFile: config.string(forKey: "redis.key.file")
            ),
            sentinel: sentinel,
            durability: durability
        )
    }
}
