@testable import Gateway
import Testing

@Suite("Responses stream through: large ones intact, and no faster than the client reads")
struct StreamingTests {
    @Test("an 8 MiB answer of known length reaches the client byte for byte")
    func largeSizedResponse() async throws {
        let size = 8 << 20
        try await withStack(exclusive: true, script: { _ in .stream(totalBytes: size) }) { stack in
            let reply = try await stack.gateway.send(.GET, "/api/test/all")
            #expect(reply.status == 200)
            #expect(reply.headers["content-length"] == [String(size)])
            #expect(reply.body.count == size)
            #expect(StandInService.isPattern(reply.body))
        }
    }

    @Test("a 4 MiB answer without a length reaches the client byte for byte, chunked")
    func largeChunkedResponse() async throws {
        let parts = (0..<64).map { Array(StandInService.pattern(offset: $0 * 65_536, count: 65_536)) }
        try await withStack(exclusive: true, script: { _ in .chunked(parts) }) { stack in
            let reply = try await stack.gateway.send(.GET, "/api/test/all")
            #expect(reply.status == 200)
            #expect(reply.headers["transfer-encoding"] == ["chunked"])
            #expect(reply.body.count == 64 * 65_536)
            #expect(StandInService.isPattern(reply.body))
        }
    }

    @Test("while the client does not read, the gateway stops reading from the service instead of buffering the answer")
    func slowReaderIsNotBuffered() async throws {
        // Larger than every buffer on the way can hold: loopback sockets autotune to tcp_rmem's
        // maximum (32 MiB on Debian 12) on the gateway's side and the client's alike.
        let size = 128 << 20
        try await withStack(exclusive: true, script: { _ in .stream(totalBytes: size) }) { stack in
            let client = try await stack.gateway.connect()
            try await client.setReading(false)
            try await client.send(rawRequest("GET", "/api/test/all"))
            // Wait until the service's writes stall (no progress for 300 ms) or 5 s have passed.
            var streamed = -1
            let deadline = ContinuousClock.now + .seconds(5)
            while stack.service.bytesStreamed != streamed, ContinuousClock.now < deadline {
                streamed = stack.service.bytesStreamed
                try await Task.sleep(for: .milliseconds(300))
            }
            // A gateway buffering the answer would take it all.
            #expect(streamed < size / 2, "the service wrote \(streamed) of \(size) bytes to a client that read nothing")
            try await client.setReading(true)
            let response = try await client.readResponse(within: .seconds(30))
            #expect(response.status == 200)
            #expect(response.body.count == size)
            #expect(StandInService.isPattern(response.body))
        }
    }
}
