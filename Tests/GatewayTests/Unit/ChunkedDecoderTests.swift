@testable import Gateway
import Common
import NIOCore
import Testing

@Suite("Chunked bodies are read strictly, within their budget, in any cut")
struct ChunkedDecoderTests {
    /// Decodes `text` fed in pieces of `step` bytes; the body, whether it ended, what is left.
    private func decode(_ text: String, budget: Int = 1_000, step: Int = .max) throws(APIError) -> (body: String, ended: Bool, rest: String) {
        var decoder = ChunkedDecoder(budget: budget)
        var body = ByteBuffer()
        var input = ByteBuffer()
        var remaining = Array(text.utf8)[...]
        while !remaining.isEmpty {
            input.writeBytes(remaining.prefix(step))
            remaining = remaining.dropFirst(step)
            if try decoder.decode(&input, data: { var part = $0; body.writeBuffer(&part) }) == .end {
                input.writeBytes(remaining)
                return (String(buffer: body), true, String(buffer: input))
            }
        }
        return (String(buffer: body), false, String(buffer: input))
    }

    @Test("chunks, extensions and trailers: the data, and the bytes after the body left in place", arguments: [1, 2, 3, 7, 1_000])
    func wellFormed(step: Int) throws {
        let result = try self.decode("5\r\nhello\r\n6;name=value\r\n world\r\nA \r\n0123456789\r\n0\r\nTrailer: x\r\n\r\nNEXT", step: step)
        #expect(result.body == "hello world0123456789")
        #expect(result.ended)
        #expect(result.rest == "NEXT")
    }

    @Test("an unfinished body says so", arguments: ["", "5", "5\r\nhel", "5\r\nhello\r\n", "0\r\n", "0\r\nX: y\r\n"])
    func unfinished(text: String) throws {
        #expect(try self.decode(text).ended == false)
    }

    @Test("broken framing is 400", arguments: [
        "zz\r\n", "-1\r\n", "5\nhello\n", "5\r\nhelloXX", "5\r\nhello\r0", "\r\n", ";x\r\n", "5\r\nhello\n\r\n", "0\r\n\u{01}\r\n\r\n",
        "0\r\nX: a\u{00}\r\n\r\n", "5;\u{01}\r\n",
    ])
    func malformed(text: String) {
        #expect(throws: APIError(.badRequest, "Malformed chunked body")) { try self.decode(text) }
    }

    @Test("a size over the budget is 413 as soon as its digits show it, before any data", arguments: [
        "3E9", "3e9\r\n", "ffffffffffffffff", "10000000000000000", "3E8\r\n" + String(repeating: "x", count: 1_000) + "\r\n1",
    ])
    func overBudget(text: String) {
        #expect(throws: APIError.bodyTooLarge) { try self.decode(text, budget: 1_000) }
    }

    @Test("a body exactly at the budget passes")
    func atBudget() throws {
        #expect(try self.decode("3E8\r\n" + String(repeating: "x", count: 1_000) + "\r\n0\r\n\r\n", budget: 1_000).ended)
    }

    @Test("extensions and trailers are bounded")
    func bounded() {
        #expect(throws: APIError.self) { try self.decode("1;" + String(repeating: "e", count: ChunkedDecoder.maxLineBytes + 1) + "\r\n") }
        let trailers = String(repeating: "X-T: " + String(repeating: "v", count: 1_000) + "\r\n", count: 20)
        #expect(throws: APIError.self) { try self.decode("0\r\n" + trailers + "\r\n") }
    }
}
