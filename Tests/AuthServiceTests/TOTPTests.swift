@testable import AuthService
import Foundation
import Testing

@Suite("TOTP (RFC 6238) and base32 (RFC 4648), as authenticator apps compute them")
struct TOTPTests {
    /// RFC 6238 Appendix B: the SHA-1 seed is the ASCII of "12345678901234567890", 8 digits.
    static let rfcSecret = Array("12345678901234567890".utf8)

    @Test("the SHA-1 test vectors of RFC 6238 Appendix B", arguments: [
        (59.0, "94287082"), (1_111_111_109, "07081804"), (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"), (2_000_000_000, "69279037"), (20_000_000_000, "65353130"),
    ])
    func rfcVectors(time: Double, expected: String) {
        let totp = TOTP(secret: Self.rfcSecret, digits: 8)
        #expect(totp.code(atStep: totp.step(at: time)) == expected)
    }

    @Test("6 digits are the last 6 of the same truncation (the apps' default)")
    func sixDigits() {
        let totp = TOTP(secret: Self.rfcSecret)
        #expect(totp.code(atStep: totp.step(at: 59)) == "287082")
        #expect(totp.code(atStep: totp.step(at: 1_111_111_109)) == "081804")
    }

    @Test("a code one step either side of now is accepted with its own step; two steps away is not")
    func drift() {
        let totp = TOTP(secret: TOTP.newSecret())
        let now = 1_700_000_015.0
        let step = totp.step(at: now)
        for offset: Int64 in [-1, 0, 1] {
            #expect(totp.matchingStep(of: totp.code(atStep: step + offset), at: now) == step + offset)
        }
        for offset: Int64 in [-2, 2, -3, 3] {
            let code = totp.code(atStep: step + offset)
            // A code of a far step that happens to equal a near one's is a coincidence the test cannot refuse.
            let near = (-1...1).map { totp.code(atStep: step + Int64($0)) }
            if !near.contains(code) { #expect(totp.matchingStep(of: code, at: now) == nil) }
        }
    }

    @Test("what is not six ASCII digits matches nothing", arguments: ["", "12345", "1234567", "12345a", "١٢٣٤٥٦", " 123456", "123 456"])
    func malformedCodes(code: String) {
        #expect(TOTP(secret: TOTP.newSecret()).matchingStep(of: code, at: 1_700_000_000) == nil)
    }

    @Test("base32: the RFC 4648 vectors, both ways; lower case, spaces and padding read too", arguments: [
        ("", ""), ("f", "MY"), ("fo", "MZXQ"), ("foo", "MZXW6"), ("foob", "MZXW6YQ"), ("fooba", "MZXW6YTB"), ("foobar", "MZXW6YTBOI"),
    ])
    func base32(plain: String, encoded: String) {
        #expect(Base32.encode(Array(plain.utf8)) == encoded)
        #expect(Base32.decode(encoded) == Array(plain.utf8))
        #expect(Base32.decode(encoded.lowercased() + "==") == Array(plain.utf8))
    }

    @Test("base32 refuses characters outside its alphabet")
    func base32Refuses() {
        #expect(Base32.decode("MZXW1") == nil)
        #expect(Base32.decode("MZ!W6") == nil)
    }

    @Test("a new secret is 160 random bits; its URI names issuer, account and parameters, escaped")
    func provisioning() {
        let secret = TOTP.newSecret()
        #expect(secret.count == 20 && secret != TOTP.newSecret())
        let uri = TOTP.provisioningURI(secret: secret, issuer: "Auth Backend", account: "zoë:x")
        #expect(uri == "otpauth://totp/Auth%20Backend:zo%C3%AB%3Ax?secret=\(Base32.encode(secret))&issuer=Auth%20Backend&algorithm=SHA1&digits=6&period=30")
    }
}

@Suite("Second-factor secrets are sealed at rest, and recovery codes kept as keyed hashes")
struct SecretBoxTests {
    static func key() -> SecretBox.Key { SecretBox.key(Data((0..<32).map { _ in UInt8.random(in: 0...255) })) }

    @Test("a sealed secret opens to itself under its key, and names the key, never the secret")
    func roundTrip() throws {
        let box = SecretBox(current: Self.key(), previous: [])
        let secret = TOTP.newSecret()
        let sealed = try box.seal(secret)
        #expect(box.open(sealed) == secret)
        #expect(sealed.hasPrefix("v1.\(box.current.id).") && !sealed.contains(Base32.encode(secret)))
        #expect(try box.seal(secret) != sealed, "a fresh nonce each time")
        #expect(!box.isStale(sealed))
    }

    @Test("another key, an altered box or a malformed one does not open")
    func refusals() throws {
        let box = SecretBox(current: Self.key(), previous: [])
        let sealed = try box.seal(TOTP.newSecret())
        #expect(SecretBox(current: Self.key(), previous: []).open(sealed) == nil)
        var bytes = Array(sealed.utf8)
        bytes[bytes.count - 3] = bytes[bytes.count - 3] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(box.open(String(decoding: bytes, as: UTF8.self)) == nil)
        for junk in ["", "v1", "v1..", "v2.\(box.current.id).AAAA", "v1.\(box.current.id).not base64"] {
            #expect(box.open(junk) == nil)
        }
    }

    @Test("after a rotation the previous key still opens what it sealed, which is then stale")
    func rotation() throws {
        let old = Self.key()
        let sealed = try SecretBox(current: old, previous: []).seal([1, 2, 3])
        let rotated = SecretBox(current: Self.key(), previous: [old])
        #expect(rotated.open(sealed) == [1, 2, 3] && rotated.isStale(sealed))
    }

    @Test("a key file holds 32 bytes in base64; anything else is refused with a clear message")
    func keyFiles() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("secretbox-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let good = folder.appendingPathComponent("good")
        try (Data((0..<32).map { UInt8($0) }).base64EncodedString() + "\n").write(to: good, atomically: true, encoding: .utf8)
        #expect(try SecretBox.key(fromFile: good.path).id == SecretBox.key(Data((0..<32).map { UInt8($0) })).id)
        let short = folder.appendingPathComponent("short")
        try Data(repeating: 1, count: 16).base64EncodedString().write(to: short, atomically: true, encoding: .utf8)
        #expect(throws: SecretBoxError.self) { try SecretBox.key(fromFile: short.path) }
        #expect(throws: SecretBoxError.self) { try SecretBox.key(fromFile: folder.appendingPathComponent("absent").path) }
    }

    @Test("recovery codes: ten distinct, typed in any case with or without dashes, hashed under the key")
    func recoveryCodes() throws {
        let codes = RecoveryCodes.generate()
        #expect(codes.count == 10 && Set(codes).count == 10)
        let box = SecretBox(current: Self.key(), previous: [])
        for code in codes {
            let normalised = try #require(RecoveryCodes.normalise(code))
            #expect(RecoveryCodes.normalise(code.uppercased().replacingOccurrences(of: "-", with: " ")) == normalised)
            #expect(box.recoveryCodeHash(normalised).count == 64 && !box.recoveryCodeHash(normalised).contains(normalised))
            #expect(SecretBox(current: Self.key(), previous: []).recoveryCodeHash(normalised) != box.recoveryCodeHash(normalised))
        }
        for junk in ["", "abcd-efgh-jkm", "abcd-efgh-jkmn-p", "abcd-efgh-jkm1", "abcd-efgh-jkmo"] {
            #expect(RecoveryCodes.normalise(junk) == nil)
        }
    }
}
