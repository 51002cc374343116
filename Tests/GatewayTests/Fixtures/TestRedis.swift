import Common
import Foundation
import Redis
import Testing

/// The Redis that `make test` starts (`TEST_REDIS_URL`); a test fails, never skips, without it.
///
/// The revocation stream's key is fixed (`revocations`), so tests that write to it or count rate
/// limits each lease a database of their own (16…31: `make test` starts Redis with 32) and start
/// from an empty one. Database 11 is shared by tests whose gateway only reads: nobody writes there.
/// Lower numbers belong to other suites of the same run (the end-to-end systems use 0 and 3…10,
/// the Redis client tests 5).
struct TestRedis: Sendable {
    static let sharedReadOnlyDatabase = 11

    let database: Int
    let client: RedisClient

    /// `redis://host:port/<database>`, for the gateway's configuration.
    var url: String { get throws { try Self.url(database: self.database) } }

    static func url(database: Int) throws -> String {
        let base = try #require(
            ProcessInfo.processInfo.environment["TEST_REDIS_URL"], "TEST_REDIS_URL must point at the Redis that make test starts"
        )
        var components = try #require(URLComponents(string: base))
        components.path = "/\(database)"
        return try #require(components.string)
    }

    /// Host and port of the test Redis, for a relay in front of it.
    static func address() throws -> (host: String, port: Int) {
        let configuration = try RedisConfiguration(url: try self.url(database: 0))
        return (configuration.host, configuration.port)
    }

    /// Runs `body` with a database of its own, emptied first, and a client of it.
    static func withOwnDatabase<T>(_ body: (TestRedis) async throws -> T) async throws -> T {
        let database = await DatabaseLeases.shared.lease()
        do {
            let result = try await self.withClient(database: database) { redis in
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

    /// Runs `body` with a client of `database`; its pool is shut down afterwards.
    static func withClient<T>(database: Int, _ body: (TestRedis) async throws -> T) async throws -> T {
        // Generous timeouts: on a loaded 2-core machine the defaults (500 ms, 1 s) are not always enough.
        let client = RedisClient(configuration: try RedisConfiguration(url: try self.url(database: database), connectTimeout: .seconds(5), commandTimeout: .seconds(5)))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            defer { group.cancelAll() }
            return try await body(TestRedis(database: database, client: client))
        }
    }

    /// Appends `entry` to the revocation stream, as the auth service does; returns its id.
    @discardableResult
    func append(_ entry: RevocationEntry, id: StreamID? = nil) async throws -> StreamID {
        let reply = try await self.client.send(["XADD", RevocationStream.key, id?.description ?? "*"] + entry.fields)
        return try #require(reply.string.flatMap { StreamID($0) }, "XADD answered \(reply)")
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

extension RevocationEntry {
    /// A revocation that matters for the next hour.
    static func revoking(_ kind: Kind, _ subject: String, cutoff: Int64 = 0) -> RevocationEntry {
        RevocationEntry(kind: kind, subject: subject, cutoff: cutoff, forget: Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000)
    }
}
