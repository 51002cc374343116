import Metrics
import NIOCore

extension RedisClient {
    /// Runs a Lua script whose writes must survive a failover: `EVAL`, then `WAIT` on the same
    /// connection (WAIT counts the replicas that have every write this connection made so far), for
    /// at most the configured time. Redis replicates asynchronously, so without this a write the
    /// caller was told about may be missing on the replica Sentinel promotes.
    ///
    /// When fewer replicas are connected than required (`ROLE`, asked at most once a second) the
    /// script is not run at all. Writing anyway would be wrong exactly when it matters: during a
    /// failover the old master has lost its replica (it is being promoted), and what it accepts then
    /// is discarded when it rejoins as a replica. The price: with one replica, the session writes
    /// answer 503 until a replica is back (docs/operations.md, Redis high availability).
    ///
    /// Throws ``RedisError`` `.notReplicated` when too few replicas are connected (nothing written),
    /// or when they did not acknowledge in time (written on the master, maybe lost): callers answer
    /// 503, and a retry of what they did is safe (a signout revokes again; a refresh replays the same
    /// successor; a signin opens another session). With no replicas required this is
    /// ``eval(_:keys:arguments:)``.
    package func evalDurably(_ script: String, keys: [String], arguments: [String]) async throws -> RedisValue {
        let durability = self.configuration.durability
        guard durability.replicas > 0 else {
            return try await self.eval(script, keys: keys, arguments: arguments)
        }
        let connected = try await self.connectedReplicas(assuming: durability.replicas)
        guard connected >= durability.replicas else {
            Counter(label: "redis_wait_refused_total").increment()
            throw RedisError(.notReplicated, "\(connected) of \(durability.replicas) replicas connected: nothing written")
        }
        return try await self.evalAndWait(script, keys: keys, arguments: arguments, replicas: durability.replicas, within: durability.timeout)
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
