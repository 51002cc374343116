import Redis
import Testing

@Suite("RedisConfiguration reads redis:// URLs")
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

    @Test("other schemes, missing hosts and bad database numbers are invalid URLs", arguments: ["http://h:6379", "rediss://h", "redis://", "redis:///0", "redis://h/abc", "redis://h/-1", "not a url", ""])
    func invalidURLs(url: String) {
        let error = #expect(throws: RedisError.self) { try RedisConfiguration(url: url) }
        #expect(error?.code == .invalidURL)
    }
}
