import Metrics
import NIOCore

extension RedisClient {
    /// Runs a Lua script whose writes must survive a failover: `EVAL`, then `WAIT` on the same
    /// connection (WAIT counts the replicas that have every write this connection made so far), for
    /// at most the configured time. Redis replicates asynchronously, so without this a write the
    /// caller was told about may be missing on the replica Sentinel promotes.
    ///
    /// It waits for the configured number of replicas, or for as many as are connected to the master
    /// now when that is fewer (`ROLE`, asked at most once a second): a replica that is not connected
    /// cannot take the write, and refusing every write while one is down would turn the loss of a
    /// replica into an outage. What that leaves open is written in the README (Redis high availability).
    ///
    /// Throws ``RedisError`` `.notReplicated` when connected replicas did not acknowledge in time.
    /// The write has still happened on the master: callers answer 503, and a retry of what they did
    /// is safe (a signout revokes again; a refresh replays within the grace window; a signin opens
    /// another session). With no replicas required this is ``eval(_:keys:arguments:)``.
    package func evalDurably(_ script: String, keys: [String], arguments: [String]) async throws -> RedisValue {
        let durability = self.configuration.durability
        guard durability.replicas > 0 else {
            return try await self.eval(script, keys: keys, arguments: arguments)
        }
        let connected = try await self.connectedReplicas(assuming: durability.replicas)
        let required = min(durability.replicas, connected)
        if required < durability.replicas {
            Counter(label: "redis_wait_degraded_total").increment()
        }
        guard required > 0 else {
            return try await self.eval(script, keys: keys, arguments: arguments)
        }
        return try await self.evalAndWait(script, keys: keys, arguments: arguments, replicas: required, within: durability.timeout)
    }

    /// EVAL and `WAIT replicas` pipelined on one connection; the script's reply.
    private func evalAndWait(_ script: String, keys: [String], arguments: [String], replicas required: Int, within bound: Duration) async throws -> RedisValue {
        let channel = try await self.connection()
        let timeout = self.configuration.commandTimeout
        let written = Self.send(["EVAL", script, String(keys.count)] + keys + arguments, on: channel, timeout: timeout, flush: false)
        let waited = Self.send(
            ["WAIT", String(required), String(max(1, bound.milliseconds))],
            on: channel, timeout: timeout + bound, flush: true
        )
        let reply = try await written.get()
        if case .error(let message) = reply {
            throw RedisError(.serverError, message)
        }
        let acknowledged = try await waited.get()
        guard let count = acknowledged.int else {
            throw RedisError(.unexpectedReply, "WAIT answered \(acknowledged)")
        }
        guard count >= required else {
            Counter(label: "redis_wait_shortfall_total").increment()
            throw RedisError(.notReplicated, "\(count) of \(required) replicas acknowledged within \(bound)")
        }
        return reply
    }

    /// Replicas connected to the master, by `ROLE`, learnt at most a second ago. A Redis that refuses
    /// ROLE (an ACL without it) is assumed to have `assumed`: the strict reading.
    private func connectedReplicas(assuming assumed: Int) async throws -> Int {
        if let known = await self.pool.connectedReplicas(maxAge: .seconds(1)) {
            return known
        }
        let count: Int
        do {
            let role = try await self.send("ROLE")
            // ["master", offset, [[host, port, offset], ...]]; a replica has nobody to wait for.
            guard let fields = role.array, fields.first?.string == "master", fields.count >= 3 else {
                throw RedisError(.notMaster, "ROLE answered \(role)")
            }
            count = fields[2].array?.count ?? 0
        } catch let error as RedisError where error.code == .serverError {
            count = assumed
        }
        await self.pool.learnt(connectedReplicas: count)
        return count
    }
}
