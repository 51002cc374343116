import Foundation
import NIOCore
import NIOHTTP1

/// The files the gateway serves itself: the web app (`Resources/web`, at `/` and `/web/<file>`) and
/// the OpenAPI document (`Resources/openapi.json`, at `/api/openapi.json`). Read once at start, so a
/// deployment that lacks them fails at once rather than at the first request.
struct WebAssets: Sendable {
    struct File: Sendable {
        var contentType: String
        var body: ByteBuffer
    }

    let files: [String: File]
    let openAPIDocument: File

    /// What every page response carries: the app loads nothing from elsewhere and runs no inline code.
    static let pageHeaders: HTTPHeaders = [
        "content-security-policy":
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "x-frame-options": "DENY",
        "cache-control": "no-cache",
    ]

    /// Reads `Resources/` of the gateway's resource bundle (next to the executable once installed).
    static func load(from resources: URL = Bundle.module.bundleURL.appendingPathComponent("Resources")) throws -> WebAssets {
        var files: [String: File] = [:]
        let web = resources.appendingPathComponent("web")
        for name in try FileManager.default.contentsOfDirectory(atPath: web.path) where !name.hasPrefix(".") {
            let data = try Data(contentsOf: web.appendingPathComponent(name))
            files[name] = File(contentType: Self.contentType(of: name), body: ByteBuffer(bytes: data))
        }
        guard files["index.html"] != nil else { throw AssetError(message: "web/index.html is missing from the resources") }
        let document = try Data(contentsOf: resources.appendingPathComponent("openapi.json"))
        return WebAssets(files: files, openAPIDocument: File(contentType: "application/json", body: ByteBuffer(bytes: document)))
    }

    static func contentType(of name: String) -> String {
        switch name.split(separator: ".").last.map(String.init) {
        case "html": "text/html; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "ico": "image/x-icon"
        case "json": "application/json"
        default: "application/octet-stream"
        }
    }

    /// Whether the client prefers a page to JSON: a browser's navigation asks for `text/html`.
    static func wantsPage(accept: [String]) -> Bool {
        accept.contains { accept in
            accept.split(separator: ",").contains { range in
                let parts = range.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
                return parts.first?.lowercased() == "text/html" && !parts.dropFirst().contains { $0.replacingOccurrences(of: " ", with: "") == "q=0" }
            }
        }
    }

    struct AssetError: Error, CustomStringConvertible {
        var message: String
        var description: String { "Web assets: \(self.message)" }
    }
}
