import Foundation
import NIOCore
import NIOPosix

/// Where a service listens, from its base URL (`http://host:port`).
struct UpstreamAddress: Sendable, Equatable {
    var host: String
    var port: Int
    /// The `Host` header sent to it.
    var authority: String

    init?(url: String) {
        guard let components = URLComponents(string: url), components.scheme == "http", let host = components.host, !host.isEmpty else {
            return nil
        }
        self.host = host
        self.port = components.port ?? 80
        self.authority = components.port.map { "\(host):\($0)" } ?? host
    }
}

/// Keep-alive connections to one service, owned by one event loop and only ever touched on it, so a
/// request is written, answered and its connection handed back without leaving the loop.
final class UpstreamPool {
    let address: UpstreamAddress
    private let eventLoop: any EventLoop
    private let connectTimeout: TimeAmount
    private let maxIdle: Int
    /// A pooled connection idle longer than this is closed rather than reused: the service may be
    /// about to close it itself, and a request written into that race is lost.
    private let maxIdleTime: TimeAmount
    private let connector: UpstreamConnector
    private var idle: [UpstreamConnection] = []
    private var closed = false

    init(
        address: UpstreamAddress, eventLoop: any EventLoop, connectTimeout: TimeAmount, maxIdle: Int, maxIdleTime: TimeAmount = .seconds(30),
        connector: UpstreamConnector = .sockets
    ) {
        self.connector = connector
        self.address = address
        self.eventLoop = eventLoop
        self.connectTimeout = connectTimeout
        self.maxIdle = maxIdle
        self.maxIdleTime = maxIdleTime
    }

    /// Hands `done` an idle live connection (`reused`), or a new one; on this loop.
    func acquire(now: NIODeadline, _ done: @escaping (Result<(connection: UpstreamConnection, reused: Bool), any Error>) -> Void) {
        while let connection = self.idle.popLast() {
            if connection.channel.isActive, now - connection.idleSince < self.maxIdleTime {
                return done(.success((connection, true)))
            }
            connection.close()
        }
        self.connect { result in done(result.map { ($0, false) }) }
    }

    /// A connection whose last exchange ended cleanly goes back to the pool.
    func release(_ connection: UpstreamConnection, now: NIODeadline) {
        guard !self.closed, connection.channel.isActive, self.idle.count < self.maxIdle else {
            connection.close()
            return
        }
        connection.idleSince = now
        self.idle.append(connection)
    }

    /// Opens a new connection and hands it to `done` on this loop.
    func connect(_ done: @escaping (Result<UpstreamConnection, any Error>) -> Void) {
        self.connector.open(self.address, self.eventLoop, self.connectTimeout, done)
    }

    func closeAll() {
        self.closed = true
        for connection in self.idle { connection.close() }
        self.idle.removeAll()
    }
}

/// How a pool opens connections: TCP sockets, or (in tests) channels of the test's own making.
struct UpstreamConnector: Sendable {
    let open: @Sendable (UpstreamAddress, any EventLoop, TimeAmount, @escaping (Result<UpstreamConnection, any Error>) -> Void) -> Void

    static let sockets = UpstreamConnector { address, eventLoop, connectTimeout, done in
        ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(UpstreamHandler())
                }
            }
            .connect(host: address.host, port: address.port)
            .assumeIsolated()
            .whenComplete { result in
                done(Result {
                    let channel = try result.get()
                    return UpstreamConnection(channel: channel, handler: try channel.pipeline.syncOperations.handler(type: UpstreamHandler.self))
                })
            }
    }
}

/// The pools of one event loop, one per service.
struct UpstreamPools {
    let auth: UpstreamPool
    let content: UpstreamPool

    func pool(for target: RouteTarget) -> UpstreamPool? {
        switch target {
        case .auth: self.auth
        case .content: self.content
        case .local: nil
        }
    }

    func closeAll() {
        self.auth.closeAll()
        self.content.closeAll()
    }
}
