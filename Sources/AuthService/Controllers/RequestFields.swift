import Common
import Foundation
import Hummingbird

/// The fields of a JSON or form-encoded body (the tutorial accepts both), read one by one so that
/// every wrong field gets its own 400 message instead of a generic decoding failure.
struct RequestFields: Sendable {
    private let values: [String: JSONValue]

    init(values: [String: JSONValue]) {
        self.values = values
    }

    static func parse(_ request: Request, context: some RequestContext) async throws -> RequestFields {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let bytes = Data(buffer: body)
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            return RequestFields(values: [:])
        }
        if contentType.hasPrefix("application/x-www-form-urlencoded") {
            return RequestFields(values: Self.parseForm(String(decoding: bytes, as: UTF8.self)))
        }
        guard contentType.isEmpty || contentType.hasPrefix("application/json") || contentType.hasSuffix("+json") else {
            throw APIError(.unsupportedMediaType, "Content-Type must be application/json or application/x-www-form-urlencoded")
        }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: bytes) else {
            throw APIError(.badRequest, "Malformed JSON body")
        }
        guard case .object(let object) = value else {
            throw APIError(.badRequest, "Request body must be a JSON object")
        }
        return RequestFields(values: object)
    }

    /// `a=1&roles=x&roles[]=y`: repeated keys and `name[]` / `name[0]` collect into arrays.
    static func parseForm(_ text: String) -> [String: JSONValue] {
        var strings: [String: [String]] = [:]
        var arrays = Set<String>()
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(part)
            }
            var name = decode(parts[0])
            if let bracket = name.firstIndex(of: "["), name.hasSuffix("]") {
                name = String(name[..<bracket])
                arrays.insert(name)
            }
            strings[name, default: []].append(parts.count > 1 ? decode(parts[1]) : "")
        }
        var fields: [String: JSONValue] = [:]
        for (name, list) in strings {
            fields[name] = list.count == 1 && !arrays.contains(name) ? .string(list[0]) : .array(list.map(JSONValue.string))
        }
        return fields
    }

    /// The field as a string; `nil` when absent or null; 400 when of another type.
    func string(_ name: String) throws -> String? {
        switch self.values[name] {
        case .none, .null: return nil
        case .string(let value): return value
        default: throw APIError(.badRequest, "\(name) must be a string")
        }
    }

    /// A list of strings; a single string counts as a list of one.
    func strings(_ name: String) throws -> [String]? {
        switch self.values[name] {
        case .none, .null: return nil
        case .string(let value): return [value]
        case .array(let values):
            return try values.map { value in
                guard case .string(let text) = value else { throw APIError(.badRequest, "\(name) must be a list of strings") }
                return text
            }
        default: throw APIError(.badRequest, "\(name) must be a list of strings")
        }
    }
}
