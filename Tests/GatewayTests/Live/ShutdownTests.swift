@testable import Gateway
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
            await #expect(throws: (any Error).self) {
                _ = try await stack.gateway.connect()
            }
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
