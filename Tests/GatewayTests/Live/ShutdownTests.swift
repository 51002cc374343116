@testable import Gateway
import Foundation
import NIOCore
import NIOPosix
import Testing

@Suite("Graceful shutdown: what is in flight finishes, nothing new is taken")
struct ShutdownTests {
    @Test("a request in flight when shutdown begins gets its whole answer, then the gateway accepts no connection")
    func inFlightRequestFinishes() async throws {
        let script: @Sendable (ReceivedRequest) -> StandInAnswer = { _ in .respond(body: Array("finished".utf8), delay: .milliseconds(800)) }
        try await withStack(script: script) { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("GET", "/api/test/all"))
            try await stack.service.waitForRequests(1)
            await stack.gateway.beginShutdown()
            let response = try await client.readResponse(within: .seconds(5))
            #expect(response.status == 200)
            #expect(response.text == "finished")
            #expect(try await client.isClosed(within: .seconds(2)))
            // Refused, not merely failed: the listener is gone, nothing else went wrong.
            let refusal = await #expect(throws: NIOConnectionError.self) {
                _ = try await stack.gateway.connect()
            }
            let causes = refusal?.connectionErrors.map { ($0.error as? IOError)?.errnoCode } ?? []
            #expect(!causes.isEmpty && causes.allSatisfy { $0 == ECONNREFUSED }, "\(String(describing: refusal))")
        }
    }

    @Test("an idle keep-alive connection is closed as soon as shutdown begins")
    func idleConnectionClosed() async throws {
        try await withStack { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("GET", "/api/test/all"))
            #expect(try await client.readResponse().status == 200)
            let started = ContinuousClock.now
            await stack.gateway.beginShutdown()
            #expect(try await client.isClosed(within: .seconds(2)))
            #expect(ContinuousClock.now - started < .seconds(1))
        }
    }
}
