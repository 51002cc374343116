import Common
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// An error whose text must never reach a client.
private struct DatabaseExploded: Error, CustomStringConvertible {
    var description: String { "SELECT password FROM users -- connection to 10.0.0.5 refused" }
}

@Suite("RequestIDMiddleware and ErrorMiddleware")
struct MiddlewareTests {
    private func makeApplication() -> some ApplicationProtocol {
        let router = Router()
        router.addMiddleware {
            RequestIDMiddleware()
            ErrorMiddleware()
        }
        router.get("echo-id") { request, _ in
            request.headers[.requestID] ?? "none"
        }
        router.get("boom") { _, _ -> String in
            throw DatabaseExploded()
        }
        router.get("teapot") { _, _ -> String in
            throw HTTPError(.badRequest, message: "internal parser detail at byte 17")
        }
        router.get("api-error") { _, _ -> String in
            throw APIError(.forbidden, "Require Admin Role!")
        }
        router.post("upload") { request, _ -> String in
            _ = try await request.body.collect(upTo: 10)
            return "ok"
        }
        return Application(router: router)
    }

    @Test("a sane incoming request id is kept, seen by the handler and echoed")
    func keepsSaneID() async throws {
        try await self.makeApplication().test(.router) { client in
            try await client.execute(uri: "/echo-id", method: .get, headers: [.requestID: "gw-1234_abcd.EF"]) { response in
                #expect(response.headers[.requestID] == "gw-1234_abcd.EF")
                #expect(String(buffer: response.body) == "gw-1234_abcd.EF")
            }
        }
    }

    @Test("a hostile or oversized request id is replaced by a fresh one", arguments: ["two words", String(repeating: "a", count: 129), "x\tinjected=1"])
    func replacesHostileID(hostile: String) async throws {
        try await self.makeApplication().test(.router) { client in
            try await client.execute(uri: "/echo-id", method: .get, headers: [.requestID: hostile]) { response in
                let id = try #require(response.headers[.requestID])
                #expect(id != hostile)
                #expect(!id.isEmpty && id.utf8.count <= 128)
                #expect(String(buffer: response.body) == id)
            }
        }
    }

    @Test("a request without an id gets one")
    func assignsID() async throws {
        try await self.makeApplication().test(.router) { client in
            try await client.execute(uri: "/echo-id", method: .get) { response in
                let id = try #require(response.headers[.requestID])
                #expect(!id.isEmpty)
            }
        }
    }

    @Test("an unknown error becomes 500 {\"message\":\"Internal server error\"} without its detail")
    func unknownErrorIsOpaque() async throws {
        try await self.makeApplication().test(.router) { client in
            try await client.execute(uri: "/boom", method: .get) { response in
                #expect(response.status == .internalServerError)
                #expect(String(buffer: response.body) == #"{"message":"Internal server error"}"#)
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                #expect(response.headers[.requestID] != nil)
            }
        }
    }

    @Test("a framework error keeps its status but not its text")
    func frameworkErrorKeepsStatusOnly() async throws {
        try await self.makeApplication().test(.router) { client in
            try await client.execute(uri: "/teapot", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body) == #"{"message":"Malformed request body"}"#)
            }
        }
    }

    @Test("an APIError passes through as written")
    func apiErrorPassesThrough() async throws {
        try await self.makeApplication().test(.router) { client in
            try await client.execute(uri: "/api-error", method: .get) { response in
                #expect(response.status == .forbidden)
                #expect(String(buffer: response.body) == #"{"message":"Require Admin Role!"}"#)
            }
        }
    }

    @Test("an unknown route is 404 JSON")
    func unknownRouteIs404JSON() async throws {
        try await self.makeApplication().test(.router) { client in
            try await client.execute(uri: "/nowhere", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body) == #"{"message":"Not found"}"#)
            }
        }
    }

    @Test("a body over the limit is 413 JSON")
    func oversizedBodyIs413JSON() async throws {
        try await self.makeApplication().test(.router) { client in
            try await client.execute(uri: "/upload", method: .post, body: ByteBuffer(string: String(repeating: "x", count: 100))) { response in
                #expect(response.status == .contentTooLarge)
                #expect(String(buffer: response.body) == #"{"message":"Request body is too large"}"#)
            }
        }
    }
}
