import Foundation
import NIOPosix
import Redis
import Testing

/// The Redis that `make test` starts; the test fails, never skips, without it.
func testRedisConfiguration(
    database: Int? = nil,
    password: String? = nil,
    commandTimeout: Duration = .seconds(5)
) throws -> RedisConfiguration {
    let url = try #require(
        ProcessInfo.processInfo.environment["TEST_REDIS_URL"],
        "TEST_REDIS_URL must point at the Redis that make test starts"
    )
    var components = try #require(URLComponents(string: url))
    if let database { components.path = "/\(database)" }
    if let password { components.password = password }
    // Generous timeouts: on a loaded 2-core machine the defaults (500 ms, 1 s) are not always enough.
    return try RedisConfiguration(url: try #require(components.string), connectTimeout: .seconds(5), commandTimeout: commandTimeout)
}

/// Runs `body` with a client whose service runs alongside, and shuts its pool down afterwards.
func withRedisClient(
    _ configuration: RedisConfiguration,
    _ body: (RedisClient) async throws -> Void
) async throws {
    let client = RedisClient(configuration: configuration)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await client.run() }
        defer { group.cancelAll() }
        try await body(client)
    }
}

/// A key prefix no other test (or run) shares, so tests never need FLUSHALL.
func uniqueKeyPrefix() -> String {
    "test:\(UUID().uuidString):"
}

/// A loopback port that nothing listens on: bound once to get a free number, then closed.
func closedPort() async throws -> Int {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .bind(host: "127.0.0.1", port: 0).get()
    let port = try #require(channel.localAddress?.port)
    try await channel.close()
    return port
}
