import Common
import Logging
import NIOCore
import ServiceLifecycle

/// Keeps every event loop's ``RevocationView`` current from the revocation stream in Redis: a full
/// load at start (the stream holds only what can still matter), then a blocking read of what comes
/// next, on a connection of its own. After a reconnect it resumes from the last entry it applied,
/// and loads everything again when that entry has been trimmed away (it may have missed some).
///
/// Each answer from Redis, entries or the empty answer of a blocking read that timed out, tells the
/// views that they are current; when Redis stays silent longer than the views' bound, protected
/// routes fail closed until the feed has caught up.
struct RevocationFeed: Service {
    let redis: RedisClient
    let states: EventLoopStates
    let logger: Logger
    /// How long one blocking read waits for new entries; well below the views' lag bound.
    var blockFor: Duration = .milliseconds(250)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.follow()
        }
    }

    private func follow() async {
        var position: StreamID?
        var failures = 0
        var pruned = ContinuousClock.now
        while !Task.isCancelled {
            do {
                let connection = try await self.redis.dedicatedConnection()
                defer { connection.close() }
                if failures > 0 {
                    self.logger.notice("Revocation feed reconnected", metadata: ["after_failures": "\(failures)"])
                }
                failures = 0
                if let known = position, try await self.wasTrimmed(since: known, on: connection) == false {
                    position = known
                } else {
                    position = try await self.loadAll(on: connection)
                }
                while !Task.isCancelled {
                    position = try await self.readNext(after: position ?? .zero, on: connection)
                    if ContinuousClock.now - pruned > .seconds(10) {
                        pruned = .now
                        self.forgetExpired()
                    }
                }
            } catch {
                failures += 1
                if failures == 1 {
                    self.logger.error("Revocation feed lost Redis: protected routes answer 503 until it is back", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: .milliseconds(min(1000, 50 * failures)))
            }
        }
    }

    /// Reads the whole stream in pages and replaces every view's copy with it.
    private func loadAll(on connection: RedisConnection) async throws -> StreamID {
        var entries: [(StreamID, RevocationEntry?)] = []
        var start = "-"
        while true {
            let page = RevocationStream.entries(
                in: try await connection.send(["XRANGE", RevocationStream.key, start, "+", "COUNT", "1000"], timeout: .seconds(2))
            )
            entries += page
            guard page.count == 1000, let last = page.last?.0 else { break }
            start = "(" + last.description
        }
        let loaded = entries
        let now = NIODeadline.now()
        await self.states.onEach { $0.revocations.replace(with: loaded, heardAt: now) }
        self.logger.info("Revocation record loaded", metadata: ["entries": "\(loaded.count)"])
        return entries.last?.0 ?? .zero
    }

    /// Waits (briefly) for entries after `position` and hands them to every view.
    private func readNext(after position: StreamID, on connection: RedisConnection) async throws -> StreamID {
        let reply = try await connection.send(
            ["XREAD", "COUNT", "1000", "BLOCK", String(self.blockFor.milliseconds), "STREAMS", RevocationStream.key, position.description],
            timeout: self.blockFor + .milliseconds(500)
        )
        let now = NIODeadline.now()
        // [[stream, [[id, fields], ...]]], or null when the block timed out with nothing new.
        let entries = reply.array?.first?.array.flatMap { $0.count == 2 ? RevocationStream.entries(in: $0[1]) : nil } ?? []
        if entries.isEmpty {
            self.states.forEach { $0.revocations.heard(at: now) }
            return position
        }
        self.states.forEach { $0.revocations.apply(entries, heardAt: now) }
        return entries.last?.0 ?? position
    }

    /// Whether entries after `position` may have been trimmed: the stream's first entry is newer.
    private func wasTrimmed(since position: StreamID, on connection: RedisConnection) async throws -> Bool {
        let first = RevocationStream.entries(
            in: try await connection.send(["XRANGE", RevocationStream.key, "-", "+", "COUNT", "1"], timeout: .seconds(1))
        ).first?.0
        guard let first else { return false }
        return first > position
    }

    /// Drops, on every loop, what can no longer match a valid access token.
    private func forgetExpired() {
        let now = Int64(SystemWallClock().now() * 1000)
        self.states.forEach { $0.revocations.forget(before: now) }
    }
}
