import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// The gateway's fast path for bodiless requests (GET and HEAD: every protected content route):
/// one small connection pool per event loop, so a request is written, answered and handed back
/// without the hops and per-request machinery of a general-purpose client. Responses are buffered
/// up to `maxBodyBytes`; anything with a request body goes through AsyncHTTPClient instead.
struct KeepAliveUpstreamClient: Sendable {
    private let pools: [ObjectIdentifier: NIOLoopBoundBox<UpstreamLoopPool>]
    private let group: any EventLoopGroup
    let hostHeader: String

    init?(baseURL: String, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, maxBodyBytes: Int, connectTimeout: TimeAmount) {
        guard let url = URLComponents(string: baseURL), url.scheme == "http", let host = url.host else {
            return nil
        }
        let port = url.port ?? 80
        var pools: [ObjectIdentifier: NIOLoopBoundBox<UpstreamLoopPool>] = [:]
        for loop in group.makeIterator() {
            // Made here, used only on `loop`: the box hands the pool over without sharing it.
            pools[ObjectIdentifier(loop)] = NIOLoopBoundBox.makeBoxSendingValue(
                UpstreamLoopPool(
                    eventLoop: loop, host: host, port: port, connectTimeout: connectTimeout,
                    maxBodyBytes: maxBodyBytes, maxIdle: 256
                ),
                eventLoop: loop
            )
        }
        self.pools = pools
        self.group = group
        self.hostHeader = url.port.map { "\(host):\($0)" } ?? host
    }

    func execute(_ head: HTTPRequestHead, timeout: TimeAmount) async throws -> UpstreamResponse {
        let loop = self.group.any()
        guard let pool = self.pools[ObjectIdentifier(loop)] else {
            throw UpstreamExchangeError(code: .protocolViolation)
        }
        if loop.inEventLoop {
            // Already on the loop (the executor preference): no hop at all.
            return try await pool.value.execute(head, timeout: timeout).get()
        }
        return try await loop.flatSubmit { pool.value.execute(head, timeout: timeout) }.get()
    }

    func shutdown() async {
        for loop in self.group.makeIterator() {
            guard let pool = self.pools[ObjectIdentifier(loop)] else { continue }
            try? await loop.submit { pool.value.closeAll() }.get()
        }
    }
}
