@testable import Gateway
import Common
import Foundation
import NIOHTTP1
import Testing
import TestSupport

@Suite("Revocation: the stream in Redis, enforced from memory, fail closed when Redis is silent")
struct RevocationTests {
    /// The status of a protected request with `token`.
    private func status(_ stack: GatewayStack, _ token: String) async throws -> Int {
        try await stack.gateway.send(.GET, "/api/test/user", headers: ["x-access-token": token]).status
    }

    /// Polls with `token` until the answer is not `status` (or `limit` passes); returns the new
    /// status and when it came.
    private func poll(_ stack: GatewayStack, _ token: String, while status: Int, limit: Duration) async throws -> (Int, ContinuousClock.Instant) {
        let deadline = ContinuousClock.now + limit
        while true {
            let answer = try await self.status(stack, token)
            if answer != status || ContinuousClock.now > deadline { return (answer, .now) }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    @Test("a token, session or user revocation added to the stream is refused (401) within 100 ms (median of 6, none over 500 ms)")
    func enforcedQuickly() async throws {
        try await TestRedis.withOwnDatabase { redis in
            try await withStack(redisDatabase: redis.database, exclusive: true) { stack in
                var delays: [Duration] = []
                for trial in 0..<6 {
                    let claims = stack.mint.claims()
                    let token = try await stack.mint.sign(claims)
                    #expect(try await self.status(stack, token) == 200)
                    let entry: RevocationEntry =
                        switch trial % 3 {
                        case 0: .revoking(.token, claims.jti)
                        case 1: .revoking(.session, claims.sid)
                        default: .revoking(.user, claims.sub, cutoff: claims.issuedAtMilliseconds + 1)
                        }
                    let added = ContinuousClock.now
                    try await redis.append(entry)
                    let (status, at) = try await self.poll(stack, token, while: 200, limit: .seconds(2))
                    #expect(status == 401, "\(entry.kind)")
                    delays.append(at - added)
                }
                let sorted = delays.sorted()
                #expect(sorted[sorted.count / 2] < .milliseconds(100), "propagation delays: \(sorted)")
                #expect(sorted.last! < .milliseconds(500), "propagation delays: \(sorted)")
            }
        }
    }

    @Test("an answer announcing x-revocation-position is held until this gateway applied it, and the header is not forwarded")
    func answerHeldUntilApplied() async throws {
        try await TestRedis.withOwnDatabase { redis in
            let position = StreamID(milliseconds: UInt64(Date().timeIntervalSince1970 * 1000), sequence: 7)
            let script: @Sendable (ReceivedRequest) -> StandInAnswer = { request in
                request.uri == "/api/auth/signout" ? .respond(headers: ["x-revocation-position": position.description], body: Array("{}".utf8)) : .echo
            }
            try await withStack(redisDatabase: redis.database, exclusive: true, script: script) { stack in
                let claims = stack.mint.claims()
                let token = try await stack.mint.sign(claims)
                async let signout = stack.gateway.send(.POST, "/api/auth/signout", headers: ["x-access-token": token], body: "{}")
                try await stack.service.waitForRequests(1)
                try await Task.sleep(for: .milliseconds(300))
                let adding = ContinuousClock.now
                try await redis.append(.revoking(.session, claims.sid), id: position)
                let reply = try await signout
                let answered = ContinuousClock.now
                #expect(reply.status == 200)
                #expect(reply.headers["x-revocation-position"].isEmpty)
                #expect(answered >= adding, "the answer left before the revocation was in the stream")
                // The very next request with the token is refused: the gateway applied it before answering.
                #expect(try await self.status(stack, token) == 401)
            }
        }
    }

    @Test("an answer whose announced revocation never arrives is released after the wait bound, not held for ever")
    func heldAnswerReleased() async throws {
        try await TestRedis.withOwnDatabase { redis in
            let never = StreamID(milliseconds: UInt64(Date().timeIntervalSince1970 * 1000) + 3_600_000, sequence: 0)
            try await withStack(redisDatabase: redis.database, exclusive: true, script: { _ in .respond(headers: ["x-revocation-position": never.description]) }) { stack in
                let token = try await stack.mint.token()
                let started = ContinuousClock.now
                let reply = try await stack.gateway.send(.POST, "/api/auth/signout", headers: ["x-access-token": token], body: "{}")
                let elapsed = ContinuousClock.now - started
                #expect(reply.status == 200)
                #expect(elapsed >= .milliseconds(900))
                #expect(elapsed < .seconds(3))
            }
        }
    }

    @Test("Redis gone: protected routes 503 once REVOCATION_MAX_LAG has passed, public ones 200; back at once when it returns", arguments: [RedisRelay.Mode.severed, .paused])
    func failsClosedAndRecovers(outage: RedisRelay.Mode) async throws {
        let relay = try await RedisRelay.start()
        try await TestRedis.withOwnDatabase { redis in
            try await withStack(redisURL: relay.url(database: redis.database), exclusive: true, configure: { $0.revocationMaxLag = 1 }) { stack in
                let token = try await stack.mint.token()
                #expect(try await self.status(stack, token) == 200)
                let cut = ContinuousClock.now
                if outage == .severed { relay.sever() } else { relay.pause() }
                let (status, failedAt) = try await self.poll(stack, token, while: 200, limit: .seconds(4))
                #expect(status == 503)
                // The feed last heard from Redis about one blocking read (250 ms) before the cut; the
                // margin below that is for a loaded machine.
                #expect(failedAt - cut >= .milliseconds(500), "503 after \(failedAt - cut)")
                #expect(failedAt - cut < .seconds(2), "503 after \(failedAt - cut)")
                let refused = try await stack.gateway.send(.GET, "/api/test/user", headers: ["x-access-token": token])
                #expect(refused.message == "Service temporarily unavailable")
                #expect(try await stack.gateway.send(.GET, "/api/test/all").status == 200)
                #expect(try await stack.gateway.send(.GET, "/health/ready").status == 503)
                let restored = ContinuousClock.now
                relay.restore()
                let (recovered, at) = try await self.poll(stack, token, while: 503, limit: .seconds(5))
                #expect(recovered == 200)
                #expect(at - restored < .seconds(3), "recovered after \(at - restored)")
            }
        }
        await relay.stop()
    }

    @Test("revocations added while the feed was cut off are enforced once it reconnects and resumes")
    func missedWhileCutOff() async throws {
        let relay = try await RedisRelay.start()
        try await TestRedis.withOwnDatabase { redis in
            try await withStack(redisURL: relay.url(database: redis.database), exclusive: true, configure: { $0.revocationMaxLag = 1 }) { stack in
                // One entry before the cut, so the feed has a position to resume from.
                let earlier = stack.mint.claims()
                try await redis.append(.revoking(.session, earlier.sid))
                let (applied, _) = try await self.poll(stack, try await stack.mint.sign(earlier), while: 200, limit: .seconds(2))
                #expect(applied == 401)
                let revoked = stack.mint.claims()
                let revokedToken = try await stack.mint.sign(revoked)
                let other = try await stack.mint.token()
                relay.sever()
                try await redis.append(.revoking(.session, revoked.sid))
                _ = try await self.poll(stack, other, while: 200, limit: .seconds(4))
                relay.restore()
                let (status, _) = try await self.poll(stack, other, while: 503, limit: .seconds(5))
                #expect(status == 200)
                #expect(try await self.status(stack, revokedToken) == 401)
                // Resumed from its position: the record was loaded once, at start.
                #expect(stack.gateway.logs.lines(withMessage: "Revocation record loaded").count == 1)
            }
        }
        await relay.stop()
    }

    @Test("a stream trimmed past the feed's position while it was cut off is loaded again in full")
    func trimmedStreamReloaded() async throws {
        let relay = try await RedisRelay.start()
        try await TestRedis.withOwnDatabase { redis in
            try await withStack(redisURL: relay.url(database: redis.database), exclusive: true, configure: { $0.revocationMaxLag = 1 }) { stack in
                let first = stack.mint.claims()
                try await redis.append(.revoking(.session, first.sid))
                let (applied, _) = try await self.poll(stack, try await stack.mint.sign(first), while: 200, limit: .seconds(2))
                #expect(applied == 401)
                relay.sever()
                let missed = stack.mint.claims()
                let kept = stack.mint.claims()
                try await redis.append(.revoking(.session, missed.sid))
                try await redis.append(.revoking(.session, kept.sid))
                try await redis.client.send("XTRIM", RevocationStream.key, "MAXLEN", "1")
                let probe = try await stack.mint.token()
                _ = try await self.poll(stack, probe, while: 200, limit: .seconds(4))
                relay.restore()
                let (status, _) = try await self.poll(stack, probe, while: 503, limit: .seconds(5))
                #expect(status == 200)
                #expect(try await self.status(stack, try await stack.mint.sign(kept)) == 401)
                let loads = stack.gateway.logs.lines(withMessage: "Revocation record loaded")
                #expect(loads.map { $0.metadata["entries"] } == ["0", "1"], "the record was not loaded again after the gap")
            }
        }
        await relay.stop()
    }

    @Test("a stream that ends before the feed's position (a failover lost its last entries) is loaded again in full")
    func streamBehindPositionReloaded() async throws {
        let relay = try await RedisRelay.start()
        try await TestRedis.withOwnDatabase { redis in
            try await withStack(redisURL: relay.url(database: redis.database), exclusive: true, configure: { $0.revocationMaxLag = 1 }) { stack in
                let first = stack.mint.claims()
                let kept = try await redis.append(.revoking(.session, first.sid))
                // The old master's last entry: applied by the feed, never replicated.
                let lost = StreamID(milliseconds: kept.milliseconds + 60_000, sequence: 0)
                let lostClaims = stack.mint.claims()
                try await redis.append(.revoking(.session, lostClaims.sid), id: lost)
                let probe = try await stack.mint.token()
                let (applied, _) = try await self.poll(stack, try await stack.mint.sign(lostClaims), while: 200, limit: .seconds(2))
                #expect(applied == 401)
                relay.sever()
                // The promoted replica's stream ends at `kept`; its clock is behind the old master's, so
                // what it appends next sorts before `lost`, where a feed that merely resumed would start.
                try await redis.client.send("DEL", RevocationStream.key)
                try await redis.append(.revoking(.session, first.sid), id: kept)
                let skewed = stack.mint.claims()
                try await redis.append(.revoking(.session, skewed.sid), id: StreamID(milliseconds: kept.milliseconds + 1, sequence: 0))
                _ = try await self.poll(stack, probe, while: 200, limit: .seconds(4))
                relay.restore()
                let (status, _) = try await self.poll(stack, probe, while: 503, limit: .seconds(5))
                #expect(status == 200)
                #expect(try await self.status(stack, try await stack.mint.sign(skewed)) == 401)
                let loads = stack.gateway.logs.lines(withMessage: "Revocation record loaded")
                #expect(loads.count == 2, "the record was not loaded again after the failover")
            }
        }
        await relay.stop()
    }
}
