import Common
import Foundation
import Hummingbird
import HummingbirdTesting
import ServiceKit
import Testing

@Suite("Health: liveness always answers, readiness reports each dependency")
struct HealthControllerTests {
    private func application(_ checks: [String: HealthController<BasicRequestContext>.ReadinessCheck]) -> some ApplicationProtocol {
        let router = Router()
        HealthController(checks: checks).addRoutes(to: router)
        return Application(router: router)
    }

    private func object(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
    }

    @Test("live is 200 ok even when a dependency is down")
    func live() async throws {
        try await self.application(["redis": { false }]).test(.router) { client in
            try await client.execute(uri: "/health/live", method: .get) { response throws in
                #expect(response.status == .ok)
                #expect(try self.object(response)["status"] as? String == "ok")
            }
        }
    }

    @Test("ready is 200 when every check passes")
    func ready() async throws {
        try await self.application(["redis": { true }, "postgres": { true }]).test(.router) { client in
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .ok)
                let body = try self.object(response)
                #expect(body["status"] as? String == "ok")
                #expect(body["checks"] as? [String: String] == ["redis": "ok", "postgres": "ok"])
            }
        }
    }

    @Test("ready is 503 naming the dependency that is down")
    func notReady() async throws {
        try await self.application(["redis": { false }, "postgres": { true }]).test(.router) { client in
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let body = try self.object(response)
                #expect(body["status"] as? String == "unavailable")
                #expect(body["checks"] as? [String: String] == ["redis": "unavailable", "postgres": "ok"])
            }
        }
    }
}
