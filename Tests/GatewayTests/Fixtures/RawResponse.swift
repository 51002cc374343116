import Foundation
import NIOCore

/// One HTTP/1.x response as it came off the wire, parsed by the test itself (never by the code
/// under test): status line, header lines in order, and the body with its framing removed.
struct RawResponse: Sendable {
    var version: String
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    /// The first value of `name` (case-insensitive).
    func header(_ name: String) -> String? {
        self.headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// Every value of `name`, in order.
    func headers(_ name: String) -> [String] {
        self.headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    var text: String { String(decoding: self.body, as: UTF8.self) }

    /// The body as a JSON object; empty when it is not one.
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(self.body))) as? [String: Any] ?? [:]
    }

    /// The contract's error body, `{"message": ...}`, with nothing else in it.
    var message: String? {
        let object = self.json
        return object.count == 1 ? object["message"] as? String : nil
    }

    /// The connection is to close after this response (`Connection: close`).
    var closesConnection: Bool {
        self.headers("connection").contains { $0.lowercased().contains("close") }
    }
}

/// Parses responses out of the bytes a client has received so far.
enum RawResponseParser {
    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    /// The first complete response in `bytes`, and how many bytes it took; `nil` while incomplete.
    /// `bodiless` is for the answer to a HEAD; `closed` says that no more bytes will come, which
    /// completes a body delimited by the end of the connection.
    static func parse(_ bytes: ByteBuffer, bodiless: Bool, closed: Bool) throws -> (RawResponse, Int)? {
        // Only the head is searched and copied on every call: large bodies arrive in many reads.
        let start = bytes.readerIndex
        let available = bytes.readableBytes
        let prefix = bytes.getBytes(at: start, length: min(65_536, available)) ?? []
        guard let headEnd = Self.find([13, 10, 13, 10], in: prefix, from: 0) else { return nil }
        let lines = String(decoding: prefix[0..<headEnd], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
            throw Malformed(description: "bad status line: \(lines[0])")
        }
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { throw Malformed(description: "bad header line: \(line)") }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        var response = RawResponse(version: String(statusParts[0]), status: status, headers: headers, body: [])
        let bodyStart = headEnd + 4
        if bodiless || (100..<200).contains(status) || status == 204 || status == 304 {
            return (response, bodyStart)
        }
        if response.header("transfer-encoding")?.lowercased() == "chunked" {
            guard let (body, end) = try Self.chunkedBody(bytes.getBytes(at: start, length: available) ?? [], from: bodyStart) else { return nil }
            response.body = body
            return (response, end)
        }
        if let lengthText = response.header("content-length") {
            guard let length = Int(lengthText) else { throw Malformed(description: "bad content-length \(lengthText)") }
            guard available - bodyStart >= length else { return nil }
            response.body = bytes.getBytes(at: start + bodyStart, length: length) ?? []
            return (response, bodyStart + length)
        }
        guard closed else { return nil }
        response.body = bytes.getBytes(at: start + bodyStart, length: available - bodyStart) ?? []
        return (response, available)
    }

    private static func chunkedBody(_ data: [UInt8], from start: Int) throws -> ([UInt8], Int)? {
        var body: [UInt8] = []
        var index = start
        while true {
            guard let lineEnd = Self.find([13, 10], in: data, from: index) else { return nil }
            let sizeText = String(decoding: data[index..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw Malformed(description: "bad chunk size \(sizeText)")
            }
            index = lineEnd + 2
            if size == 0 {
                // No trailers from the gateway: the last chunk is followed by an empty line.
                guard data.count >= index + 2 else { return nil }
                return (body, index + 2)
            }
            guard data.count >= index + size + 2 else { return nil }
            body += data[index..<(index + size)]
            index += size + 2
        }
    }

    static func find(_ needle: [UInt8], in data: [UInt8], from start: Int) -> Int? {
        guard data.count >= needle.count, start <= data.count - needle.count else { return nil }
        for index in start...(data.count - needle.count) where data[index] == needle[0] {
            if Array(data[index..<(index + needle.count)]) == needle { return index }
        }
        return nil
    }
}
