@testable import Gateway
import NIOCore
import NIOPosix
import Testing

/// The pool is driven with the instants it is handed, so "idle too long" needs no waiting, and a
/// connection the service has closed is closed by the test before it asks again: both stale cases
/// are reached every time, never by a sleep that may or may not outlast a close.
@Suite("Upstream pool: a stale pooled connection is replaced before a request is written into it")
struct UpstreamPoolTests {
    /// What the pool handed out on each `acquire`: whether it said reused, and whether it was the
    /// first connection.
    struct Handout: Sendable, Equatable {
        var reused: Bool
        var sameAsFirst: Bool
    }

    @Test("a pooled connection is reused within the idle limit and replaced past it", arguments: [(Int64(29), Handout(reused: true, sameAsFirst: true)), (Int64(31), Handout(reused: false, sameAsFirst: false))])
    func idleLimit(idleSeconds: Int64, expected: Handout) async throws {
        let handout = try await self.acquireTwice { _, askAgain in
            askAgain(.seconds(idleSeconds))
        }
        #expect(handout == expected)
    }

    @Test("a pooled connection that has closed meanwhile (as when the service closes it) is replaced, not handed out")
    func closedConnection() async throws {
        let handout = try await self.acquireTwice { connection, askAgain in
            connection.channel.close().assumeIsolated().whenComplete { _ in askAgain(.seconds(1)) }
        }
        #expect(handout == Handout(reused: false, sameAsFirst: false))
    }

    /// Acquires a connection from a fresh pool (idle limit 30 s) and releases it at instant 0; then
    /// `between` runs (it may break the connection) and calls `askAgainAfter(idle)`, upon which the pool
    /// is asked again, `idle` later. Returns what the second `acquire` handed out.
    private func acquireTwice(
        between: @escaping @Sendable (UpstreamConnection, _ askAgainAfter: @escaping (TimeAmount) -> Void) -> Void
    ) async throws -> Handout {
        let service = try await StandInService.start()
        let address = try #require(UpstreamAddress(url: service.url))
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        do {
            let handout = try await loop.flatSubmit { () -> EventLoopFuture<Handout> in
                let pool = UpstreamPool(address: address, eventLoop: loop, connectTimeout: .seconds(1), maxIdle: 2, maxIdleTime: .seconds(30))
                let promise = loop.makePromise(of: Handout.self)
                let start = NIODeadline.now()
                pool.acquire(now: start) { first in
                    guard case .success(let first) = first else { return promise.fail(StandInError(message: "no first connection")) }
                    pool.release(first.connection, now: start)
                    between(first.connection) { idle in
                        pool.acquire(now: start + idle) { second in
                            guard case .success(let second) = second else { return promise.fail(StandInError(message: "no second connection")) }
                            promise.succeed(Handout(reused: second.reused, sameAsFirst: second.connection === first.connection))
                            pool.release(second.connection, now: start + idle)
                            pool.closeAll()
                        }
                    }
                }
                return promise.futureResult
            }.get()
            await service.stop()
            return handout
        } catch {
            await service.stop()
            throw error
        }
    }
}
