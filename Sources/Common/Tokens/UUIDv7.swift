/// Time-ordered identifiers (RFC 9562 §5.7): 48 bits of Unix milliseconds, then random bits.
package enum UUIDv7 {
    /// A new lower-case UUIDv7 string for `milliseconds` since the epoch.
    package static func make(milliseconds: Int64) -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        for index in 0..<6 {
            bytes[index] = UInt8(truncatingIfNeeded: milliseconds >> (8 * (5 - index)))
        }
        bytes[6] = 0x70 | (bytes[6] & 0x0F)
        bytes[8] = 0x80 | (bytes[8] & 0x3F)
        let hex = bytes.map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
        }
        return [hex[0..<4], hex[4..<6], hex[6..<8], hex[8..<10], hex[10..<16]].map { $0.joined() }.joined(separator: "-")
    }

    /// The milliseconds a UUIDv7 string carries; `nil` for anything that is not one.
    package static func milliseconds(of text: String) -> Int64? {
        let utf8 = Array(text.utf8)
        guard utf8.count == 36, utf8[8] == 0x2D, utf8[13] == 0x2D, utf8[14] == 0x37, utf8[18] == 0x2D, utf8[23] == 0x2D else {
            return nil
        }
        var value: Int64 = 0
        for byte in utf8[0..<8] + utf8[9..<13] {
            guard let digit = Self.hexValue(byte) else { return nil }
            value = value << 4 | Int64(digit)
        }
        return value
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x61...0x66: byte - 0x61 + 10
        case 0x41...0x46: byte - 0x41 + 10
        default: nil
        }
    }
}
