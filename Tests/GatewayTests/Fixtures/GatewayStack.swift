@testable import Gateway
import Foundation
import NIOCore
import TestSupport

/// A gateway in front of one stand-in service (both the auth and the content service are it),
/// with the mint whose key the gateway trusts.
struct GatewayStack: Sendable {
    let gateway: RunningGateway
    let service: StandInService
    let mint: TokenMint
}

/// Runs `body` against a fresh stand-in service and a gateway in front of it, reading Redis
/// database `redisDatabase` (the shared one, where nobody writes, unless a test leased its own),
/// or whatever `redisURL` names (a relay); `exclusive` runs it alone (``LiveTestGate``).
func withStack<T: Sendable>(
    redisDatabase: Int = TestRedis.sharedReadOnlyDatabase,
    redisURL: String? = nil,
    exclusive: Bool = false,
    script: @escaping @Sendable (ReceivedRequest) -> StandInAnswer = { _ in .echo },
    configure: (inout GatewayConfiguration) -> Void = { _ in },
    _ body: (GatewayStack) async throws -> T
) async throws -> T {
    let mint = try TokenMint()
    let service = try await StandInService.start(script)
    do {
        let result = try await withGateway(
            GatewaySetup(mint: mint, upstream: service, redisURL: try redisURL ?? TestRedis.url(database: redisDatabase), exclusive: exclusive),
            configure: configure
        ) { gateway in
            try await body(GatewayStack(gateway: gateway, service: service, mint: mint))
        }
        await service.stop()
        return result
    } catch {
        await service.stop()
        throw error
    }
}

/// A request as a client writes it on the wire.
func rawRequest(_ method: String = "GET", _ target: String, host: String? = "gateway.test", headers: [(String, String)] = [], body: String? = nil, version: String = "HTTP/1.1") -> String {
    var text = "\(method) \(target) \(version)\r\n"
    if let host { text += "Host: \(host)\r\n" }
    for (name, value) in headers { text += "\(name): \(value)\r\n" }
    if let body { text += "Content-Length: \(body.utf8.count)\r\n" }
    text += "\r\n"
    return text + (body ?? "")
}

extension ReceivedRequest {
    /// Every value of the header `name`.
    func header(_ name: String) -> [String] { self.headers[name] }
}
