import Common
import Hummingbird

/// `/health/live` (the process answers) and `/health/ready` (its stores and upstreams answer).
package struct HealthController<Context: RequestContext>: Sendable {
    package typealias ReadinessCheck = @Sendable () async -> Bool

    private let checks: [String: ReadinessCheck]

    package init(checks: [String: ReadinessCheck]) {
        self.checks = checks
    }

    package func addRoutes(to router: Router<Context>) {
        router.get("/health/live") { _, _ in
            HealthStatus(status: "ok", checks: [:])
        }
        router.get("/health/ready") { _, _ in
            let results = await self.runChecks()
            let status = HealthStatus(status: results.values.allSatisfy { $0 == "ok" } ? "ok" : "unavailable", checks: results)
            return EditedResponse(status: status.status == "ok" ? .ok : .serviceUnavailable, response: status)
        }
    }

    private func runChecks() async -> [String: String] {
        await withTaskGroup(of: (String, Bool).self) { group in
            for (name, check) in self.checks {
                group.addTask { (name, await check()) }
            }
            var results: [String: String] = [:]
            for await (name, healthy) in group {
                results[name] = healthy ? "ok" : "unavailable"
            }
            return results
        }
    }
}

/// The health body: an overall status and one entry per dependency.
package struct HealthStatus: ResponseEncodable, Sendable {
    package var status: String
    package var checks: [String: String]
}
