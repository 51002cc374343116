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

    @Test("replicas required but fewer connected: refused at once, and nothing is written")
    func tooFewReplicasConnected() async throws {
        let key = uniqueKeyPrefix() + "durable"
        var configuration = try TestRedis.configuration()
        // The test Redis has no replica. A master that lost its replica is what a demoted master looks
        // like during a failover too: a write answered there would be lost, so none is made.
        configuration.durability = RedisDurability(replicas: 1, timeout: .seconds(10))
        try await TestRedis.withClient(configuration) { redis throws in
            let started = ContinuousClock.now
            let error = await #expect(throws: RedisError.self) {
                try await redis.evalDurably("return redis.call('SET', KEYS[1], 'written')", keys: [key], arguments: [])
            }
            #expect(error?.code == .notReplicated)
            // Not the WAIT bound: nothing was sent to wait for (a loaded machine may still take seconds).
            #expect(ContinuousClock.now - started < .seconds(5))
            #expect(try await redis.send("EXISTS", key) == .integer(0))
        }
    }
}
