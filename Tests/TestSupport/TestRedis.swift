import Foundation
import Redis

/// The Redis that `make test` starts (`TEST_REDIS_URL`); a test fails, never skips, without it.
///
/// The revocation stream's key is fixed (`revocations`), so tests that write to it or count rate
/// limits each lease a database of their own (16…31: `make test` starts Redis with 32) and start
/// from an empty one. Database 11 is shared by tests whose gateway only reads: nobody writes there.
/// Lower numbers belong to other suites of the same run (the end-to-end systems use 0 and 3…10,
/// the Redis client tests 5).
package struct TestRedis: Sendable {
    package static let sharedReadOnlyDatabase = 11

    package let database: Int
    package let client: RedisClient

    /// `redis://host:port/<database>`, for a service's configuration.
    package var url: String { get throws { try Self.url(database: self.database) } }

    /// `TEST_REDIS_URL`, with `database` in place of its own when one is given.
    package static func url(database: Int? = nil) throws -> String {
        let base = try required(
            ProcessInfo.processInfo.environment["TEST_REDIS_URL"], "TEST_REDIS_URL must point at the Redis that make test starts"
        )
        var components = try required(URLComponents(string: base), "TEST_REDIS_URL is no URL: \(base)")
        if let database { components.path = "/\(database)" }
        return try required(components.string, "no URL from \(components)")
    }

    /// A client configuration for the test Redis.
    package static func configuration(
        database: Int? = nil, password: String? = nil, commandTimeout: Duration = .seconds(5)
    ) throws -> RedisConfiguration {
        var components = try required(URLComponents(string: try self.url(database: database)), "no URL for database \(String(describing: database))")
        if let password { components.password = password }
        // Generous timeouts: on a loaded 2-core machine the defaults (500 ms, 1 s) are not always enough.
        return try RedisConfiguration(url: try required(components.string, "no URL from \(components)"), connectTimeout: .seconds(5), commandTimeout: commandTimeout)
    }

    /// Host and port of the test Redis, for a relay in front of it.
    package static func address() throws -> (host: String, port: Int) {
        let configuration = try self.configuration()
        return (configuration.host, configuration.port)
    }

    /// Runs `body` with a client whose service runs alongside; its pool is shut down afterwards.
    /// Without a configuration, a client of `TEST_REDIS_URL` as it is.
    package static func withClient<T>(_ configuration: RedisConfiguration? = nil, _ body: (RedisClient) async throws -> T) async throws -> T {
        let client = RedisClient(configuration: try configuration ?? self.configuration())
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    /// Runs `body` with a client of `database`.
    package static func withDatabase<T>(_ database: Int, _ body: (TestRedis) async throws -> T) async throws -> T {
        try await self.withClient(try self.configuration(database: database)) { client in
            try await body(TestRedis(database: database, client: client))
        }
    }

    /// Runs `body` with a database of its own (16…31), emptied first, and a client of it.
    package static func withOwnDatabase<T>(_ body: (TestRedis) async throws -> T) async throws -> T {
        let database = await DatabaseLeases.shared.lease()
        do {
            let result = try await self.withDatabase(database) { redis in
                try await redis.client.send("FLUSHDB")
                return try await body(redis)
            }
            await DatabaseLeases.shared.release(database)
            return result
        } catch {
            await DatabaseLeases.shared.release(database)
            throw error
        }
    }
}

/// Hands out databases 16…31, one test at a time each; a test waits when all are taken.
actor DatabaseLeases {
    static let shared = DatabaseLeases()
    private var free = Array(16...31)
    private var waiting: [CheckedContinuation<Int, Never>] = []

    func lease() async -> Int {
        if let database = self.free.popLast() { return database }
        return await withCheckedContinuation { self.waiting.append($0) }
    }

    func release(_ database: Int) {
        if self.waiting.isEmpty {
            self.free.append(database)
        } else {
            self.waiting.removeFirst().resume(returning: database)
        }
    }
}
