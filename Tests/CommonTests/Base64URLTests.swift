import Common
import Foundation
import Testing

@Suite("Base64URL is unpadded base64url (RFC 7515 §2) and refuses anything else")
struct Base64URLTests {
    @Test("known vectors use - and _ and carry no padding")
    func knownVectors() {
        #expect(Base64URL.encode([UInt8]()) == "")
        #expect(Base64URL.encode([0xFB, 0xFF]) == "-_8")
        #expect(Base64URL.encode([0xFB, 0xEF, 0xBE]) == "----")
        #expect(Base64URL.encode([0xFF, 0xFF, 0xFF]) == "____")
        #expect(Base64URL.encode(Array("f".utf8)) == "Zg")
        #expect(Base64URL.encode(Array("fo".utf8)) == "Zm8")
        #expect(Base64URL.encode(Array("foo".utf8)) == "Zm9v")
    }

    @Test("decoding the known vectors gives the bytes back")
    func decodesKnownVectors() {
        #expect(Base64URL.decode("") == Data())
        #expect(Base64URL.decode("-_8") == Data([0xFB, 0xFF]))
        #expect(Base64URL.decode("Zg") == Data("f".utf8))
        #expect(Base64URL.decode("Zm8") == Data("fo".utf8))
    }

    @Test("every length from 0 to 64 bytes round-trips")
    func roundTripsAllLengths() {
        for length in 0...64 {
            let bytes = (0..<length).map { _ in UInt8.random(in: .min ... .max) }
            let encoded = Base64URL.encode(bytes)
            #expect(!encoded.contains("=") && !encoded.contains("+") && !encoded.contains("/"))
            #expect(Base64URL.decode(encoded) == Data(bytes))
        }
    }

    @Test("padding, an impossible length, whitespace and foreign characters are refused", arguments: ["Zg==", "Zm8=", "A", "Zm9vY", "Zm 9v", "Zm9v\n", "Zm9v!", "Zm9v.", "é"])
    func refusesInvalidInput(text: String) {
        #expect(Base64URL.decode(text) == nil)
    }

    @Test("standard base64's + and / are refused, though they decode to the same bytes as - and _", arguments: ["+_8", "-/8", "++++", "////"])
    func refusesStandardAlphabet(text: String) {
        #expect(Base64URL.decode(text) == nil)
    }

    @Test("one spelling per byte string: set unused low bits of the last character are refused")
    func refusesNonCanonicalTails() {
        // "Zg" is "f"; "Zh".."Zv" carry the same byte with unused bits set. "Zm8" is "fo"; "Zm9" too many.
        #expect(Base64URL.decode("Zh") == nil)
        #expect(Base64URL.decode("Zv") == nil)
        #expect(Base64URL.decode("Zm9") == nil)
        #expect(Base64URL.decode("-_9") == nil)
        for length in 1...64 {
            let encoded = Base64URL.encode((0..<length).map { _ in UInt8.random(in: .min ... .max) })
            #expect(Base64URL.decode(encoded) != nil, "\(encoded) is canonical")
        }
    }

    @Test("decode accepts a substring, as token parts are")
    func decodesSubstrings() {
        let token = "Zm9v.YmFy"
        let parts = token.split(separator: ".")
        #expect(Base64URL.decode(parts[0]) == Data("foo".utf8))
        #expect(Base64URL.decode(parts[1]) == Data("bar".utf8))
    }
}
