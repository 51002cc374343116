import Common
import NIOCore

/// Reads a chunked body (RFC 9112 §7.1) incrementally, strictly, and within a byte budget: a chunk
/// whose announced size would take the body past the budget is refused as soon as its size line is
/// read, not when its bytes have arrived. Chunk extensions are skipped and trailer fields dropped;
/// both are bounded.
struct ChunkedDecoder {
    enum Step: Equatable {
        /// Every byte given was used; the body goes on.
        case needMore
        /// The last chunk and the trailer section are read.
        case end
    }

    static let tooLarge = APIError.bodyTooLarge
    static let malformed = APIError(.badRequest, "Malformed chunked body")
    /// Room for any real extension or trailer; an attacker's are cut off here.
    static let maxLineBytes = 4096
    static let maxTrailerBytes = 16 * 1024

    private enum State {
        case size(value: UInt64, digits: Int)
        /// Skipping a chunk extension (after `;` or whitespace) up to the line's CR.
        case sizeExtension(size: UInt64, length: Int)
        case sizeLF(size: UInt64)
        case data(remaining: Int)
        case dataCR
        case dataLF
        /// At the start of a trailer line (or of the empty line ending the body).
        case trailerLineStart(total: Int)
        case trailerLine(length: Int, total: Int)
        case trailerLF(empty: Bool, total: Int)
        case done
    }

    private var state = State.size(value: 0, digits: 0)
    /// Bytes of data decoded so far.
    private(set) var bodyBytes = 0
    let budget: Int

    init(budget: Int) {
        self.budget = budget
    }

    /// Decodes what `input` holds, handing each run of data to `data`. Bytes after the body's end
    /// stay in `input` (the next message's).
    mutating func decode(_ input: inout ByteBuffer, data: (ByteBuffer) -> Void) throws(APIError) -> Step {
        while input.readableBytes > 0 {
            if case .data(let remaining) = self.state {
                let count = min(remaining, input.readableBytes)
                data(input.readSlice(length: count)!)
                self.state = count == remaining ? .dataCR : .data(remaining: remaining - count)
                continue
            }
            let byte = input.readInteger(as: UInt8.self)!
            try self.consume(byte)
            if case .done = self.state { return .end }
        }
        if case .done = self.state { return .end }
        return .needMore
    }

    private mutating func consume(_ byte: UInt8) throws(APIError) {
        switch self.state {
        case .size(let value, let digits):
            if let digit = Self.hexValue(byte) {
                // Refused on the digit that takes it over the budget: a size is never waited for.
                guard digits < 16, value <= UInt64(self.budget - self.bodyBytes) >> 4 else { throw Self.tooLarge }
                let size = value << 4 | UInt64(digit)
                guard size <= UInt64(self.budget - self.bodyBytes) else { throw Self.tooLarge }
                self.state = .size(value: size, digits: digits + 1)
                return
            }
            guard digits > 0 else { throw Self.malformed }
            switch byte {
            case 13: self.state = .sizeLF(size: value)
            case UInt8(ascii: ";"), 0x20, 0x09: self.state = .sizeExtension(size: value, length: 1)
            default: throw Self.malformed
            }
        case .sizeExtension(let size, let length):
            if byte == 13 {
                self.state = .sizeLF(size: size)
                return
            }
            guard HTTPSyntax.isFieldValueByte(byte), length < Self.maxLineBytes else { throw Self.malformed }
            self.state = .sizeExtension(size: size, length: length + 1)
        case .sizeLF(let size):
            guard byte == 10 else { throw Self.malformed }
            self.bodyBytes += Int(size)
            self.state = size == 0 ? .trailerLineStart(total: 0) : .data(remaining: Int(size))
        case .data:
            preconditionFailure("data is copied in bulk by decode")
        case .dataCR:
            guard byte == 13 else { throw Self.malformed }
            self.state = .dataLF
        case .dataLF:
            guard byte == 10 else { throw Self.malformed }
            self.state = .size(value: 0, digits: 0)
        case .trailerLineStart(let total):
            if byte == 13 {
                self.state = .trailerLF(empty: true, total: total)
            } else {
                guard HTTPSyntax.isTokenByte(byte) else { throw Self.malformed }
                self.state = .trailerLine(length: 1, total: total + 1)
            }
        case .trailerLine(let length, let total):
            if byte == 13 {
                self.state = .trailerLF(empty: false, total: total)
                return
            }
            guard HTTPSyntax.isFieldValueByte(byte) else { throw Self.malformed }
            guard total < Self.maxTrailerBytes else { throw RequestHeadParser.tooLarge }
            self.state = .trailerLine(length: length + 1, total: total + 1)
        case .trailerLF(let empty, let total):
            guard byte == 10 else { throw Self.malformed }
            self.state = empty ? .done : .trailerLineStart(total: total + 2)
        case .done:
            break
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
