import Common
import Hummingbird

/// Path and query parameters of the account routes, each refused with a 400 that names it.
enum RequestParameters {
    /// The `{id}` of an admin route: a positive integer that fits the `users.id` column.
    static func userID(_ context: AppRequestContext) throws -> Int {
        try self.positiveInteger(context.parameters.get("id"), name: "id", present: true, maximum: Int(Int32.max)) ?? 0
    }

    /// A query parameter that is absent, or a positive integer up to `maximum` (a user id by default).
    static func positiveInteger(_ request: Request, _ name: String, maximum: Int = Int(Int32.max)) throws -> Int? {
        try self.positiveInteger(request.uri.queryParameters.get(name), name: name, present: false, maximum: maximum)
    }

    /// `limit`: 1 to 100, `defaultLimit` when absent.
    static func limit(_ request: Request, default defaultLimit: Int = 20) throws -> Int {
        guard let text = request.uri.queryParameters.get("limit") else { return defaultLimit }
        guard let value = Int(text), (1...100).contains(value) else {
            throw APIError(.badRequest, "limit must be an integer from 1 to 100")
        }
        return value
    }

    /// The deepest `offset` of a list: each skipped row is read, so deeper pages are asked for with
    /// `after` (``after(_:)``), at the same cost at any depth.
    static let maximumOffset = 10_000

    /// `offset`: 0 to ``maximumOffset``, 0 when absent.
    static func offset(_ request: Request) throws -> Int {
        guard let text = request.uri.queryParameters.get("offset") else { return 0 }
        guard let value = Int(text), (0...self.maximumOffset).contains(value) else {
            throw APIError(.badRequest, "offset must be an integer from 0 to \(self.maximumOffset); page deeper with after")
        }
        return value
    }

    /// `after`: a user id (or 0) the page starts above, 0 when absent.
    static func after(_ request: Request) throws -> Int {
        guard let text = request.uri.queryParameters.get("after") else { return 0 }
        if text == "0" { return 0 }
        guard let value = try? self.positiveInteger(text, name: "after", present: true, maximum: Int(Int32.max)) else {
            throw APIError(.badRequest, "after must be an integer from 0 to \(Int32.max)")
        }
        return value
    }

    private static func positiveInteger(_ text: String?, name: String, present: Bool, maximum: Int) throws -> Int? {
        guard let text else {
            if present { throw APIError(.badRequest, "\(name) must be a positive integer") }
            return nil
        }
        // Digits only: no sign, no spaces, no 0x, nothing Int() would be lenient about.
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let value = Int(text), (1...maximum).contains(value)
        else {
            throw APIError(.badRequest, "\(name) must be a positive integer")
        }
        return value
    }
}
