import Foundation

/// base64url without padding (RFC 7515 §2), as JOSE uses it.
package enum Base64URL {
    package static func encode(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The bytes of `text`, which must be their one canonical spelling: only the base64url alphabet
    /// (no `+`, `/` or `=`), and the unused low bits of the last character zero. A token whose
    /// signature could be spelled two ways would be two tokens to every cache and denylist.
    package static func decode(_ text: some StringProtocol) -> Data? {
        let bytes = Array(text.utf8)
        guard bytes.allSatisfy(Self.isAlphabet) else { return nil }
        let remainder = bytes.count % 4
        if remainder == 1 { return nil }
        if remainder > 0, let last = bytes.last {
            let unusedBits: UInt8 = remainder == 2 ? 0b1111 : 0b11
            guard Self.value(of: last) & unusedBits == 0 else { return nil }
        }
        var base64 = String(text).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        if remainder > 0 { base64 += String(repeating: "=", count: 4 - remainder) }
        return Data(base64Encoded: base64)
    }

    private static func isAlphabet(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default:
            false
        }
    }

    /// The 6-bit value of an alphabet character.
    private static func value(of byte: UInt8) -> UInt8 {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "-"): 62
        default: 63
        }
    }
}
