import Foundation
import NIOPosix
import Testing

/// A key prefix no other test (or run) shares, so tests never need FLUSHALL.
func uniqueKeyPrefix() -> String {
    "test:\(UUID().uuidString):"
}

/// A loopback port that nothing listens on: bound once to get a free number, then closed.
func closedPort() async throws -> Int {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .bind(host: "127.0.0.1", port: 0).get()
    let port = try #require(channel.localAddress?.port)
    try await channel.close()
    return port
}
