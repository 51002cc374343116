import Foundation
import Redis
import Testing
import TestSupport

@Suite("RedisClient against a real Redis")
struct RedisClientTests {
    @Test(
        "SET then GET returns exactly the bytes written, whatever they look like",
        arguments: ["plain", "", "line\r\nbreak", "nul\u{0}byte", "ünïcødé 🚀 中文", "$5\r\n*1\r\n:fake", String(repeating: "x", count: 100_000)]
    )
    func setGetRoundTrip(value: String) async throws {
        let key = uniqueKeyPrefix() + "value"
        try await TestRedis.withClient(try TestRedis.configuration()) { redis throws in
            #expect(try await redis.send("SET", key, value, "EX", "60") == .simpleString("OK"))
            let reply = try await redis.send("GET", key)
            #expect(reply == .bulkString(Array(value.utf8)))
            #expect(reply.string == value)
            try await redis.send("DEL", key)
        }
    }

    @Test("integer replies come back as integers, negative and 64-bit ones included")
    func integerReplies() async throws {
        let key = uniqueKeyPrefix() + "counter"
        try await TestRedis.withClient(try TestRedis.configuration()) { redis throws in
            #expect(try await redis.send("INCR", key) == .integer(1))
            #expect(try await redis.send("INCRBY", key, "41") == .integer(42))
            #expect(try await redis.send("DECRBY", key, "100") == .integer(-58))
            #expect(try await redis.send("SET", key, String(Int64.max - 1)) == .simpleString("OK"))
            #expect(try await redis.send("INCR", key) == .integer(Int(Int64.max)))
            #expect(try await redis.send("GET", key).int == Int(Int64.max))
            #expect(try await redis.send("DEL", key) == .integer(1))
        }
    }

    @Test("a missing key is nil, alone and inside an array")
    func nilReplies() async throws {
        let prefix = uniqueKeyPrefix()
        try await TestRedis.withClient(try TestRedis.configuration()) { redis throws in
            #expect(try await redis.send("GET", prefix + "missing") == .null)
            try await redis.send("SET", prefix + "present", "1", "EX", "60")
            #expect(try await redis.send("MGET", prefix + "present", prefix + "missing") == .array([.bulkString(Array("1".utf8)), .null]))
            try await redis.send("DEL", prefix + "present")
        }
    }

    @Test("array replies keep order; an empty list is an empty array")
    func arrayReplies() async throws {
        let key = uniqueKeyPrefix() + "list"
        try await TestRedis.withClient(try TestRedis.configuration()) { redis throws in
            #expect(try await redis.send("RPUSH", key, "a", "b", "c") == .integer(3))
            let range = try await redis.send("LRANGE", key, "0", "-1")
            #expect(range.array?.compactMap(\.string) == ["a", "b", "c"])
            try await redis.send("DEL", key)
            #expect(try await redis.send("LRANGE", key, "0", "-1") == .array([]))
        }
    }

    @Test("an error reply surfaces as RedisError(.serverError) with Redis's text, and the connection stays usable")
    func errorReplies() async throws {
        let key = uniqueKeyPrefix() + "text"
        try await TestRedis.withClient(try TestRedis.configuration()) { redis throws in
            try await redis.send("SET", key, "not a number", "EX", "60")
            let error = await #expect(throws: RedisError.self) { try await redis.send("INCR", key) }
            #expect(error?.code == .serverError)
            #expect(error?.detail.contains("not an integer") == true)

            let unknown = await #expect(throws: RedisError.self) { try await redis.send("NOSUCHCOMMAND") }
            #expect(unknown?.code == .serverError)

            #expect(try await redis.send("PING") == .simpleString("PONG"))
            #expect(try await redis.send("GET", key).string == "not a number")
            try await redis.send("DEL", key)
        }
    }

    @Test("a pipeline of 1000 commands answers in order")
    func pipelineOrder() async throws {
        let key = uniqueKeyPrefix() + "counter"
        try await TestRedis.withClient(try TestRedis.configuration()) { redis throws in
            let replies = try await redis.pipeline(Array(repeating: ["INCR", key], count: 1_000))
            #expect(replies == (1...1_000).map { RedisValue.integer($0) })
            try await redis.send("DEL", key)
        }
    }

    @Test("an error inside a pipeline throws, yet the replies after it stay matched to their commands")
    func pipelineErrorKeepsStreamInStep() async throws {
        let prefix = uniqueKeyPrefix()
        try await TestRedis.withClient(try TestRedis.configuration()) { redis throws in
            await #expect(throws: RedisError.self) {
                try await redis.pipeline([
                    ["SET", prefix + "a", "1", "EX", "60"],
                    ["HGET", prefix + "a", "field"],
                    ["SET", prefix + "b", "2", "EX", "60"],
                ])
            }
            for _ in 0..<8 {
                #expect(try await redis.send("ECHO", "still-in-step") == .bulkString(Array("still-in-step".utf8)))
            }
            #expect(try await redis.send("GET", prefix + "b").string == "2")
            try await redis.send("DEL", prefix + "a", prefix + "b")
        }
    }

    @Test("1000 concurrent commands from 50 tasks each get their own reply")
    func concurrentCommandsGetTheirOwnReplies() async throws {
        let prefix = uniqueKeyPrefix()
        try await TestRedis.withClient(try TestRedis.configuration()) { redis throws in
            let mismatches = try await withThrowingTaskGroup(of: Int.self) { group in
                for task in 0..<50 {
                    group.addTask {
                        var mismatches = 0
                        for index in 0..<20 {
                            let payload = "task-\(task)-command-\(index)"
                            if index.isMultiple(of: 2) {
                                if try await redis.send("ECHO", payload).string != payload { mismatches += 1 }
                            } else {
                                let replies = try await redis.pipeline([["SET", prefix + payload, payload, "EX", "60"], ["GET", prefix + payload]])
                                if replies != [.simpleString("OK"), .bulkString(Array(payload.utf8))] { mismatches += 1 }
                            }
                        }
                        return mismatches
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(mismatches == 0)
        }
    }

    @Test("EVAL runs a script with keys and arguments and returns nested values")
    func evalReturnsScriptResult() async throws {
        let key = uniqueKeyPrefix() + "scripted"
        try await TestRedis.withClient(try TestRedis.configuration()) { redis throws in
            let reply = try await redis.eval(
                "redis.call('SET', KEYS[1], ARGV[1], 'EX', 60); return {KEYS[1], redis.call('GET', KEYS[1]), 42, {1, 'nested'}}",
                keys: [key],
                arguments: ["from-lua"]
            )
            #expect(reply == .array([
                .bulkString(Array(key.utf8)), .bulkString(Array("from-lua".utf8)), .integer(42),
                .array([.integer(1), .bulkString(Array("nested".utf8))]),
            ]))
            let failure = await #expect(throws: RedisError.self) { try await redis.eval("return redis.call('NOSUCH')", keys: [], arguments: []) }
            #expect(failure?.code == .serverError)
            try await redis.send("DEL", key)
        }
    }

    @Test("a closed port fails fast with RedisError(.connectionFailed) instead of hanging")
    func closedPortFailsFast() async throws {
        let port = try await closedPort()
        let configuration = try RedisConfiguration(url: "redis://127.0.0.1:\(port)")
        let started = ContinuousClock.now
        try await TestRedis.withClient(configuration) { redis throws in
            let error = await #expect(throws: RedisError.self) { try await redis.send("PING") }
            #expect(error?.code == .connectionFailed)
            #expect(await redis.ping() == false)
        }
        // A refusal takes milliseconds; "hanging" would be a retry loop of tens of seconds. The bound
        // leaves room for a loaded 2-core machine starting and stopping the client.
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test("a reply that does not come within the command timeout fails with .timeout, and the client recovers")
    func commandTimeout() async throws {
        let key = uniqueKeyPrefix() + "empty-list"
        try await TestRedis.withClient(try TestRedis.configuration(commandTimeout: .seconds(2))) { redis throws in
            let started = ContinuousClock.now
            let error = await #expect(throws: RedisError.self) { try await redis.send("BLPOP", key, "30") }
            #expect(error?.code == .timeout)
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(try await redis.send("PING") == .simpleString("PONG"))
        }
    }

    @Test("the database number in the URL selects that database")
    func databaseIsSelected() async throws {
        let key = uniqueKeyPrefix() + "db"
        try await TestRedis.withClient(try TestRedis.configuration(database: 5)) { db5 throws in
            try await db5.send("SET", key, "in-five", "EX", "60")
            try await TestRedis.withClient(try TestRedis.configuration()) { db0 throws in
                #expect(try await db0.send("GET", key) == .null)
            }
            #expect(try await db5.send("GET", key).string == "in-five")
            try await db5.send("DEL", key)
        }
    }

    @Test("a password the server refuses fails the connection with .connectionFailed")
    func refusedPasswordFailsConnection() async throws {
        try await TestRedis.withClient(try TestRedis.configuration(password: "not-the-password")) { redis throws in
            let error = await #expect(throws: RedisError.self) { try await redis.send("PING") }
            #expect(error?.code == .connectionFailed)
        }
    }
}
