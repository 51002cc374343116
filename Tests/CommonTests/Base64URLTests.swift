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

    @Test("decode accepts a substring, as token parts are")
    func decodesSubstrings() {
        let token = "Zm9v.YmFy"
        let parts = token.split(separator: ".")
        #expect(Base64URL.decode(parts[0]) == Data("foo".utf8))
        #expect(Base64URL.decode(parts[1]) == Data("bar".utf8))
    }
}
