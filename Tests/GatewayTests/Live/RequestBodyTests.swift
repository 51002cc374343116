@testable import Gateway
import Testing

@Suite("Request bodies: collected before anything goes upstream, and bounded")
struct RequestBodyTests {
    static let limit = 1_024

    @Test("the service receives nothing, not even the head, until a sized body is complete")
    func sizedBodyBuffered() async throws {
        try await withStack { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("POST", "/api/auth/signin", headers: [("Content-Length", "20")]) + "0123456789")
            try await Task.sleep(for: .milliseconds(300))
            #expect(stack.service.connectionCount == 0)
            #expect(stack.service.bytesReceived == 0)
            try await client.send("abcdefghij")
            #expect(try await client.readResponse().status == 200)
            #expect(stack.service.requests.map(\.body) == [Array("0123456789abcdefghij".utf8)])
        }
    }

    @Test("the service receives nothing until a chunked body has ended")
    func chunkedBodyBuffered() async throws {
        try await withStack { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("POST", "/api/auth/signup", headers: [("Transfer-Encoding", "chunked")]) + "5\r\nhello\r\n")
            try await Task.sleep(for: .milliseconds(300))
            #expect(stack.service.bytesReceived == 0)
            try await client.send("6\r\n world\r\n0\r\n\r\n")
            #expect(try await client.readResponse().status == 200)
            #expect(stack.service.requests.map(\.body) == [Array("hello world".utf8)])
        }
    }

    @Test("a declared body over MAX_REQUEST_BODY_BYTES is 413 JSON at once, the connection closes and no service is asked")
    func declaredTooLarge() async throws {
        try await withStack(configure: { $0.maxRequestBodyBytes = Self.limit }) { stack in
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("POST", "/api/auth/signin", headers: [("Content-Length", String(Self.limit + 1))]))
            let response = try await client.readResponse()
            #expect(response.status == 413)
            #expect(response.message == "Request body is too large")
            #expect(try await client.isClosed(within: .seconds(2)))
            #expect(stack.service.connectionCount == 0)
        }
    }

    @Test("a chunked body that grows over MAX_REQUEST_BODY_BYTES is 413 JSON, the connection closes and no service is asked")
    func chunkedTooLarge() async throws {
        try await withStack(configure: { $0.maxRequestBodyBytes = Self.limit }) { stack in
            let client = try await stack.gateway.connect()
            let chunk = String(repeating: "a", count: 600)
            try await client.send(rawRequest("POST", "/api/auth/signin", headers: [("Transfer-Encoding", "chunked")]) + "258\r\n\(chunk)\r\n258\r\n\(chunk)\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 413)
            #expect(response.message == "Request body is too large")
            #expect(try await client.isClosed(within: .seconds(2)))
            #expect(stack.service.connectionCount == 0)
        }
    }

    @Test("a body of exactly MAX_REQUEST_BODY_BYTES is forwarded whole")
    func bodyAtLimit() async throws {
        try await withStack(configure: { $0.maxRequestBodyBytes = Self.limit }) { stack in
            let body = [UInt8](repeating: 0x61, count: Self.limit)
            let reply = try await stack.gateway.send(.POST, "/api/auth/signin", body: body)
            #expect(reply.status == 200)
            #expect(stack.service.requests.last?.body == body)
        }
    }

    @Test("the default limit is the documented 64 KiB")
    func defaultLimit() async throws {
        try await withStack { stack in
            #expect(stack.gateway.configuration.maxRequestBodyBytes == 64 * 1024)
            let atLimit = try await stack.gateway.send(.POST, "/api/auth/signin", body: [UInt8](repeating: 0x61, count: 64 * 1024))
            #expect(atLimit.status == 200)
            let client = try await stack.gateway.connect()
            try await client.send(rawRequest("POST", "/api/auth/signin", headers: [("Content-Length", String(64 * 1024 + 1))]))
            let over = try await client.readResponse()
            #expect(over.status == 413)
            #expect(over.message == "Request body is too large")
            #expect(stack.service.requests.count == 1)
        }
    }
}
