import Foundation
@testable import Gateway
import NIOCore
import Testing

@Suite("The OpenAPI document the gateway serves and its route table describe the same API")
struct OpenAPIDocumentTests {
    /// (path, METHOD) of every operation of the served document, HEAD left out: the gateway answers
    /// HEAD wherever it answers GET, and the document says so on every path (checked in the system
    /// suite's `openapi/test_document.py`).
    private func documentedOperations() throws -> Set<String> {
        let body = try WebAssets.load().openAPIDocument.body
        let data = Data(body.readableBytesView)
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let methods: Set<String> = ["get", "put", "post", "delete", "options", "patch", "trace"]
        return Set(paths.flatMap { path, item in item.keys.filter(methods.contains).map { "\($0.uppercased()) \(path)" } })
    }

    @Test("every route of the table has an operation in the document, and every operation a route")
    func documentAndTableAgree() throws {
        let routed = Set(RouteTable.routes.flatMap { route in route.methods.filter { $0 != .HEAD }.map { "\($0.rawValue) \(route.path)" } })
        let documented = try self.documentedOperations()
        #expect(routed.subtracting(documented).isEmpty, "routes without an operation: \(routed.subtracting(documented).sorted())")
        #expect(documented.subtracting(routed).isEmpty, "operations without a route: \(documented.subtracting(routed).sorted())")
    }
}
