@testable import AuthService
import Common
import Foundation
import Redis
import Testing
import TestSupport

@Suite("What Redis keeps for a session does not grow with its refreshes")
struct RedisSessionFootprintTests {
    /// Every key of the database and its `MEMORY USAGE`, with the session's id and user id replaced
    /// by placeholders so that two sessions' keys compare.
    private func footprint(_ redis: RedisClient, sessionID: String, userID: Int) async throws -> [String: Int] {
        var sizes: [String: Int] = [:]
        for key in try await redis.send("KEYS", "*").array?.compactMap(\.string) ?? [] {
            let name = key.replacingOccurrences(of: sessionID, with: "<sid>").replacingOccurrences(of: String(userID), with: "<uid>")
            sizes[name] = try #require(try await redis.send("MEMORY", "USAGE", key, "SAMPLES", "0").int)
        }
        return sizes
    }

    @Test("after 1,000 refreshes a session holds the same keys as after one, of the same size but for the generation's digits, under 1 KB")
    func footprintIsFlat() async throws {
        let policy = SessionPolicy(absoluteLifetime: 86_400, idleLifetime: 3_600, reuseGrace: 10, revocationRetention: 90_000)
        let agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
        var footprints: [[String: Int]] = []
        for refreshes in [1, 1_000] {
            try await TestRedis.withOwnDatabase { redis in
                let clock = TestClock()
                let store = RedisSessionStore(redis: redis.client, policy: policy, clock: clock)
                let userID = randomUserID()
                let session = try await store.open(userID: userID, client: ClientDetails(ip: "203.0.113.77", userAgent: agent))
                var token = session.token
                for _ in 0..<refreshes {
                    clock.advance(by: 1)
                    token = try #require(try await store.rotate(token).successor)
                }
                footprints.append(try await self.footprint(redis.client, sessionID: session.sessionID, userID: userID))
            }
        }
        let (one, many) = (footprints[0], footprints[1])
        #expect(Set(one.keys) == Set(many.keys))
        #expect(Set(one.keys) == ["session:<sid>", "grace:<sid>", "user:sessions:<uid>", "epoch:user:<uid>:0"])
        for (key, size) in one {
            // `gen` is 2 after one refresh, 1001 after a thousand: a listpack spends a byte or two more on it.
            #expect(abs((many[key] ?? 0) - size) <= 8, "\(key): \(size) bytes after one refresh, \(many[key] ?? 0) after 1,000")
        }
        // The sealed pair of the grace window is a test stand-in here (a digest); the record itself:
        let kept = (many["session:<sid>"] ?? 0) + (many["user:sessions:<uid>"] ?? 0)
        #expect(kept <= 1024, "the session record and its set take \(kept) bytes")
    }

    @Test("the record stays in Redis's compact encoding with a user agent of 200 characters of four bytes each, and lists it intact")
    func longAgentStaysCompact() async throws {
        try await TestRedis.withOwnDatabase { redis in
            let store = RedisSessionStore(redis: redis.client, policy: RedisSessionStoreTests.policy, clock: TestClock())
            let userID = randomUserID()
            let agent = String(repeating: "\u{1F600}", count: 200)
            let session = try await store.open(userID: userID, client: ClientDetails(ip: "2001:db8::1", userAgent: agent))
            _ = try #require(try await store.rotate(session.token).successor)

            #expect(try await redis.client.send("OBJECT", "ENCODING", RedisSessionStore.detailsKey(session.sessionID)).string == "listpack")
            #expect(try await store.liveSessions(ofUser: userID).first?.client == ClientDetails(ip: "2001:db8::1", userAgent: agent))
        }
    }
}
