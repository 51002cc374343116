import Foundation
import Redis
import Testing
import TestSupport

@Suite("evalDurably: a write that must survive a failover waits for replicas, within a bound")
struct RedisDurabilityTests {
    @Test("no replicas required: the script runs and answers as eval does")
    func noReplicasRequired() async throws {
        let key = uniqueKeyPrefix() + "durable"
        try await TestRedis.withClient(try TestRedis.configuration()) { redis throws in
            let reply = try await redis.evalDurably("return redis.call('INCR', KEYS[1])", keys: [key], arguments: [])
            #expect(reply == .integer(1))
            try await redis.send("DEL", key)
        }
    }

    @Test("replicas required but none connected: the write goes through at once, without waiting for the bound")
    func noReplicaConnected() async throws {
        let key = uniqueKeyPrefix() + "durable"
        var configuration = try TestRedis.configuration()
        // The test Redis has no replica: nothing could take the write, so nothing is waited for.
        configuration.durability = RedisDurability(replicas: 1, timeout: .seconds(3))
        try await TestRedis.withClient(configuration) { redis throws in
            let started = ContinuousClock.now
            let reply = try await redis.evalDurably("return redis.call('SET', KEYS[1], 'written')", keys: [key], arguments: [])
            #expect(reply == .simpleString("OK"))
            #expect(ContinuousClock.now - started < .seconds(2))
            #expect(try await redis.send("GET", key).string == "written")
            try await redis.send("DEL", key)
        }
    }

    @Test("a script error is the script's error, not a replication shortfall")
    func scriptErrorWins() async throws {
        var configuration = try TestRedis.configuration()
        configuration.durability = RedisDurability(replicas: 1, timeout: .seconds(3))
        try await TestRedis.withClient(configuration) { redis throws in
            let error = await #expect(throws: RedisError.self) {
                try await redis.evalDurably("return redis.error_reply('refused')", keys: [], arguments: [])
            }
            #expect(error?.code == .serverError)
            #expect(error?.detail.contains("refused") == true)
        }
    }
}
