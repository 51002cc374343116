@testable import AuthService
import Foundation
import Testing

@Suite("Refresh tokens are 256 random bits, stored as digests, and their grace-window successor is sealed under them")
struct RefreshTokenFormatTests {
    @Test("new tokens are 43 base64url characters, well-formed and all different")
    func newTokens() {
        let tokens = (0..<200).map { _ in RefreshTokenFormat.newToken() }
        #expect(Set(tokens).count == tokens.count)
        #expect(tokens.allSatisfy { $0.utf8.count == 43 && RefreshTokenFormat.isWellFormed($0) })
    }

    @Test("anything else is not well-formed", arguments: ["", String(repeating: "a", count: 42), String(repeating: "a", count: 44), String(repeating: "a", count: 42) + "=", String(repeating: "a", count: 42) + "+", String(repeating: "é", count: 43)])
    func malformedTokens(token: String) {
        #expect(RefreshTokenFormat.isWellFormed(token) == false)
    }

    @Test("the digest is the lowercase hex SHA-256 of the token")
    func digest() {
        #expect(RefreshTokenFormat.digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test("a sealed successor opens under the token it was sealed with, and under no other")
    func sealRoundTrip() throws {
        let old = RefreshTokenFormat.newToken()
        let pair = SuccessorPair(accessToken: "access.token.value", refreshToken: RefreshTokenFormat.newToken())
        let sealed = try SuccessorSeal.seal(pair, under: old)

        #expect(!sealed.contains(pair.refreshToken))
        #expect(try SuccessorSeal.open(sealed, under: old) == pair)
        #expect(throws: (any Error).self) { try SuccessorSeal.open(sealed, under: RefreshTokenFormat.newToken()) }
        #expect(throws: (any Error).self) { try SuccessorSeal.open("not base64!", under: old) }
    }
}
