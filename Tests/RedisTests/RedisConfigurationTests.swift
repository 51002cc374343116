import Configuration
import Redis
import Testing

@Suite("RedisConfiguration reads redis:// and rediss:// URLs and the REDIS_* settings")
struct RedisConfigurationTests {
    @Test("host alone gets port 6379, database 0 and no credentials")
    func defaults() throws {
        let configuration = try RedisConfiguration(url: "redis://cache.internal")
        #expect(configuration.host == "cache.internal")
        #expect(configuration.port == 6379)
        #expect(configuration.database == 0)
        #expect(configuration.username == nil)
        #expect(configuration.password == nil)
    }

    @Test("password only, with port and database")
    func passwordPortDatabase() throws {
        let configuration = try RedisConfiguration(url: "redis://:s3cr%40t@127.0.0.1:6380/2")
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 6380)
        #expect(configuration.username == nil)
        #expect(configuration.password == "s3cr@t")
        #expect(configuration.database == 2)
    }

    @Test("user and password (Redis 6 ACL)")
    func userAndPassword() throws {
        let configuration = try RedisConfiguration(url: "redis://app:pw@redis:6379/0")
        #expect(configuration.username == "app")
        #expect(configuration.password == "pw")
    }

    @Test("connection count is at least one")
    func connectionCountFloor() throws {
        #expect(try RedisConfiguration(url: "redis://h", connectionCount: 0).connectionCount == 1)
    }

    @Test("rediss:// turns TLS on, with the system's trust store when no CA file is given")
    func tlsScheme() throws {
        let configuration = try RedisConfiguration(url: "rediss://app:p%40ss@redis.example.net:6380/1")
        #expect(configuration.tls != nil)
        #expect(configuration.tls?.files == RedisTLSFiles())
        #expect(configuration.username == "app")
        #expect(configuration.password == "p@ss")
        #expect(configuration.port == 6380)
        #expect(configuration.database == 1)
        #expect(!configuration.description.contains("p@ss"))
    }

    @Test("TLS files that cannot be used stop the configuration, not the first connection")
    func unusableTLSFiles() {
        let missing = #expect(throws: RedisError.self) {
            try RedisConfiguration(url: "rediss://h", tlsFiles: RedisTLSFiles(caFile: "/nonexistent/ca.pem"))
        }
        #expect(missing?.code == .invalidURL)
        let halfPair = #expect(throws: RedisError.self) {
            try RedisConfiguration(url: "rediss://h", tlsFiles: RedisTLSFiles(certificateFile: "/nonexistent/client.pem"))
        }
        #expect(halfPair?.code == .invalidURL)
        let plain = #expect(throws: RedisError.self) {
            try RedisConfiguration(url: "redis://h", tlsFiles: RedisTLSFiles(caFile: "/etc/ssl/certs/ca-certificates.crt"))
        }
        #expect(plain?.code == .invalidURL)
    }

    @Test("Sentinel addresses: host:port, the default port 26379, IPv6 in brackets")
    func sentinelList() throws {
        let settings = try #require(try RedisSentinelSettings(list: "s1:26380, s2,[::1]:26381", masterName: "main"))
        #expect(settings.sentinels.map(\.description) == ["s1:26380", "s2:26379", "[::1]:26381"])
        #expect(settings.masterName == "main")
        #expect(try RedisSentinelSettings(list: " ", masterName: nil) == nil)
    }

    @Test("Sentinels without a master name, a master name without Sentinels, and bad ports are refused", arguments: [
        ("s1:26379", nil), ("", "main"), ("s1:0", "main"), ("s1:x", "main"), ("[::1", "main"),
    ] as [(String, String?)])
    func badSentinelSettings(list: String, master: String?) {
        #expect(throws: RedisError.self) { try RedisSentinelSettings(list: list, masterName: master) }
    }

    @Test("from the environment: Sentinels make the session writes wait for one replica by default")
    func environment() throws {
        let withSentinels = ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: [
            "REDIS_URL": "redis://app:pw@ignored:1/2", "REDIS_SENTINELS": "127.0.0.1:26379,127.0.0.1:26380",
            "REDIS_SENTINEL_MASTER": "auth", "REDIS_SENTINEL_PASSWORD": "sentinel-pw",
        ]))
        let durable = try RedisConfiguration(config: withSentinels, durable: true)
        #expect(durable.sentinel?.sentinels.count == 2)
        #expect(durable.sentinel?.password == "sentinel-pw")
        #expect(durable.durability == RedisDurability(replicas: 1, timeout: .milliseconds(500)))
        #expect(durable.database == 2)
        #expect(try RedisConfiguration(config: withSentinels, durable: false).durability == .none)

        let single = ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: ["REDIS_URL": "redis://h"]))
        #expect(try RedisConfiguration(config: single, durable: true).durability == .none)
        let explicit = ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: [
            "REDIS_URL": "redis://h", "REDIS_WAIT_REPLICAS": "2", "REDIS_WAIT_TIMEOUT": "0.25",
        ]))
        #expect(try RedisConfiguration(config: explicit, durable: true).durability == RedisDurability(replicas: 2, timeout: .milliseconds(250)))
    }

    @Test("other schemes, missing hosts and bad database numbers are invalid URLs", arguments: ["http://h:6379", "rediss://", "redis://", "redis:///0", "redis://h/abc", "redis://h/-1", "not a url", ""])
    func invalidURLs(url: String) {
        let error = #expect(throws: RedisError.self) { try RedisConfiguration(url: url) }
        #expect(error?.code == .invalidURL)
    }
}
