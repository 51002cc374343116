import Foundation
import Testing

@Suite("Graceful shutdown")
struct ShutdownTests {
    @Test("a request the gateway holds when SIGTERM arrives is answered in full, then the gateway exits 0")
    func gatewayFinishesRequestInFlight() async throws {
        try await RunningSystem.with { system in
            let user = try await system.account()
            let body = RunningSystem.json(["username": user.username, "password": user.password])
            try await RawConnection.with(port: system.ports.gateway) { connection in
                try await connection.write(
                    "POST /api/auth/signin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Content-Length: \(body.utf8.count)\r\nExpect: 100-continue\r\n\r\n"
                )
                // The gateway answers 100 once it has taken the head: from here the request is in
                // flight, and it cannot finish before the test sends its body.
                let interim = try await connection.readHead()
                try #require(interim.hasPrefix("HTTP/1.1 100 Continue"), "\(interim)")
                let stopping = Task { await system.gateway.stop(grace: .seconds(10)) }
                try await system.gateway.waitForLog("Gateway draining")
                try await connection.write(body)
                let answer = try await connection.readUntilClosed()
                #expect(answer.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(answer)")
                #expect(answer.contains(#""accessToken":""#), "\(answer)")
                await stopping.value
            }
            #expect(system.gateway.exitStatus == 0, "gateway exited with \(String(describing: system.gateway.exitStatus)):\n\(system.gateway.logTail())")
        }
    }

    @Test("on SIGTERM each service exits 0, and no request sent meanwhile is cut off with an error status")
    func sigtermExitsCleanly() async throws {
        try await RunningSystem.with { system in
            let user = try await system.account()
            let inFlight = Task {
                await withTaskGroup(of: Int?.self) { group in
                    for _ in 0..<20 {
                        group.addTask {
                            // nil: refused before it was accepted, which a load balancer retries.
                            try? await system.send(.GET, url: system.contentURL + "/api/test/user", headers: [("authorization", "Bearer \(user.accessToken)")]).status
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
