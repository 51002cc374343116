import Common
import Foundation
import NIOCore
import NIOHTTP1

/// A complete answer the gateway gives itself: errors, the welcome, health.
struct LocalResponse {
    var status: HTTPResponseStatus
    var headers: HTTPHeaders
    var body: ByteBuffer

    init(status: HTTPResponseStatus, contentType: String, body: ByteBuffer, headers: HTTPHeaders = [:]) {
        self.status = status
        self.headers = headers
        self.headers.replaceOrAdd(name: "content-type", value: contentType)
        self.body = body
    }

    /// The contract's `{"message": ...}` error, with its extra headers (`Retry-After`, `Allow`).
    init(_ error: APIError) {
        var headers = HTTPHeaders()
        for field in error.extraHeaders {
            headers.add(name: field.name.rawName, value: field.value)
        }
        self.init(
            status: HTTPResponseStatus(statusCode: error.status.code),
            contentType: "application/json; charset=utf-8",
            body: ByteBuffer(bytes: error.jsonBody()),
            headers: headers
        )
    }

    static func json(_ status: HTTPResponseStatus, _ value: some Encodable) -> LocalResponse {
        let bytes = (try? JSONEncoder.sortedKeys.encode(value)).map(Array.init) ?? []
        return LocalResponse(status: status, contentType: "application/json; charset=utf-8", body: ByteBuffer(bytes: bytes))
    }
}

/// The routes the gateway answers itself.
struct LocalResponses: Sendable {
    private let welcome: ByteBuffer
    private let assets: WebAssets

    init(assets: WebAssets) {
        self.welcome = ByteBuffer(bytes: (try? JSONEncoder.sortedKeys.encode(Message(message: Self.welcomeText))).map(Array.init) ?? [])
        self.assets = assets
    }

    static let welcomeText = "Welcome to the auth backend. See /api/auth and /api/test."

    func response(for route: LocalRoute, path: Substring, request: RequestHead, state: EventLoopState, now: NIODeadline) -> LocalResponse {
        switch route {
        case .welcome:
            if WebAssets.wantsPage(accept: request.headers.values(.accept)), let page = self.assets.files["index.html"] {
                var headers = WebAssets.pageHeaders
                headers.add(name: "vary", value: "Accept")
                return LocalResponse(status: .ok, contentType: page.contentType, body: page.body, headers: headers)
            }
            return LocalResponse(status: .ok, contentType: "application/json; charset=utf-8", body: self.welcome, headers: ["vary": "Accept"])
        case .webAsset:
            guard let file = self.assets.files[String(path.dropFirst("/web/".count))] else { return LocalResponse(.notFound) }
            return LocalResponse(status: .ok, contentType: file.contentType, body: file.body, headers: WebAssets.pageHeaders)
        case .openAPI:
            return LocalResponse(status: .ok, contentType: self.assets.openAPIDocument.contentType, body: self.assets.openAPIDocument.body)
        case .live:
            return .json(.ok, Health(status: "ok", checks: [:]))
        case .ready:
            let checks = [
                "jwks": state.keys.isEmpty ? "unavailable" : "ok",
                "revocations": state.revocations.isCurrent(now: now) ? "ok" : "unavailable",
            ]
            let ready = checks.values.allSatisfy { $0 == "ok" }
            return .json(ready ? .ok : .serviceUnavailable, Health(status: ready ? "ok" : "unavailable", checks: checks))
        }
    }

    private struct Message: Encodable {
        var message: String
    }

    /// The health body: an overall status and one entry per dependency.
    private struct Health: Encodable {
        var status: String
        var checks: [String: String]
    }
}
