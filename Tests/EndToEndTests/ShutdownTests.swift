import Foundation
import Testing

@Suite("Graceful shutdown")
struct ShutdownTests {
    @Test("on SIGTERM each service finishes what is in flight and exits 0")
    func sigtermExitsCleanly() async throws {
        try await RunningSystem.with { system in
            let user = try await system.account()
            // Requests in flight while the content service is told to stop still get their answer.
            let inFlight = Task {
                await withTaskGroup(of: Int?.self) { group in
                    for _ in 0..<20 {
                        group.addTask {
                            // nil: refused before it was accepted, which a load balancer retries.
                            try? await system.send(.GET, url: system.contentURL + "/api/test/user", headers: [("x-access-token", user.accessToken)]).status
                        }
                    }
                    return await group.reduce(into: [Int?]()) { $0.append($1) }
                }
            }
            try await Task.sleep(for: .milliseconds(5))
            for service in [system.content, system.gateway, system.auth] {
                await service.stop(grace: .seconds(10))
                #expect(service.exitStatus == 0, "\(service.name) exited with \(String(describing: service.exitStatus)):\n\(service.logTail())")
            }
            // Each request either completed with 200 or was never accepted: none is cut off with an error status.
            let statuses = await inFlight.value
            #expect(statuses.count == 20)
            #expect(statuses.compactMap { $0 }.allSatisfy { $0 == 200 }, "\(statuses)")
        }
    }
}
