import Common
import Foundation
import Hummingbird
import HummingbirdTesting
import ServiceKit
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

    /// One request that fails, and the answer the contract gives it.
    struct ErrorCase: Sendable, CustomTestStringConvertible {
        var what: String
        var method: HTTPRequest.Method = .get
        var uri: String
        var body: String?
        var status: HTTPResponse.Status
        var message: String
        var testDescription: String { self.what }
    }

    static let errorCases: [ErrorCase] = [
        ErrorCase(what: "a framework error keeps its status but not its text", uri: "/teapot", status: .badRequest, message: "Malformed request body"),
        ErrorCase(what: "an APIError passes through as written", uri: "/api-error", status: .forbidden, message: "Require Admin Role!"),
        ErrorCase(what: "an unknown route is 404 JSON", uri: "/nowhere", status: .notFound, message: "Not found"),
        ErrorCase(
            what: "a body over the limit is 413 JSON", method: .post, uri: "/upload", body: String(repeating: "x", count: 100),
            status: .contentTooLarge, message: "Request body is too large"
        ),
    ]

    @Test("each error becomes the contract's JSON with its status", arguments: Self.errorCases)
    func errorsBecomeContractJSON(_ error: ErrorCase) async throws {
        try await self.makeApplication().test(.router) { client in
            try await client.execute(uri: error.uri, method: error.method, body: error.body.map { ByteBuffer(string: $0) }) { response in
                #expect(response.status == error.status)
                #expect(String(buffer: response.body) == #"{"message":"\#(error.message)"}"#)
            }
        }
    }
}
