@testable import AuthService
import Common
import Hummingbird
import HummingbirdTesting
import Redis
import ServiceKit
import Testing

@Suite("A store that does not answer is the fail-closed 503, and its detail stays in the log")
struct StoreUnavailableMiddlewareTests {
    private func makeApplication() -> some ApplicationProtocol {
        let router = Router(context: AppRequestContext.self)
        router.addMiddleware {
            ErrorMiddleware()
            StoreUnavailableMiddleware()
        }
        router.get("redis-down") { _, _ -> String in
            throw RedisError(.connectionFailed, "connect to 10.0.0.7:6379 refused")
        }
        router.get("postgres-down") { _, _ -> String in
            throw DatabaseUnavailable(code: .timedOut, operation: "SELECT password FROM users at 10.0.0.5")
        }
        return Application(router: router)
    }

    @Test("Redis or PostgreSQL not answering is 503 with the contract's message", arguments: ["/redis-down", "/postgres-down"])
    func unavailableIs503(path: String) async throws {
        try await self.makeApplication().test(.router) { client in
            try await client.execute(uri: path, method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body) == #"{"message":"Service temporarily unavailable"}"#)
            }
        }
    }
}
