@testable import Gateway
import NIOCore
import NIOHTTP1

extension RequestHead {
    /// The head of `method target version` with `headers`, as the gateway's parser reads it.
    static func parsed(
        _ method: String = "GET", _ target: String = "/api/test/user", version: String = "HTTP/1.1", headers: [(String, String)] = []
    ) -> RequestHead {
        var text = "\(method) \(target) \(version)\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        var buffer = ByteBuffer(string: text + "\r\n")
        guard case .head(let head) = RequestHeadParser.parse(&buffer, scanned: 0, limits: HeadLimits()) else {
            preconditionFailure("not a head the parser accepts: \(text)")
        }
        return head
    }
}

extension HeaderFields {
    /// The fields of a request head carrying `headers`.
    static func parsed(_ headers: [(String, String)]) -> HeaderFields {
        RequestHead.parsed(headers: headers).headers
    }
}

extension FieldName {
    /// The name a field called `spelling` is recognised as.
    init(spelled spelling: String) {
        self = Array(spelling.utf8).withUnsafeBytes { FieldName($0) }
    }
}
