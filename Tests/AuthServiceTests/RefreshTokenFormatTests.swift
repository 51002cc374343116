@testable import AuthService
import Foundation
import Testing

@Suite("Refresh tokens name their session and generation, carry 128 bits of family and 256 of secret, and are stored as digests")
struct RefreshTokenFormatTests {
    @Test("a new session's token is <sid>.1.<family>.<secret>, parses back, and all are different")
    func newTokens() throws {
        let tokens = (0..<200).map { _ in SessionRefreshToken.first(sessionID: RefreshTokenFormat.newSessionID()) }
        #expect(Set(tokens.map(\.text)).count == tokens.count)
        for token in tokens {
            #expect(token.generation == 1 && token.family.utf8.count == 22 && token.secret.utf8.count == 43)
            #expect(SessionRefreshToken(parsing: token.text) == token)
        }
    }

    @Test("a successor is the next generation of the same family; the same nonce derives the same one, another nonce another")
    func successors() throws {
        let token = SessionRefreshToken.first(sessionID: RefreshTokenFormat.newSessionID())
        let nonce = SessionRefreshToken.newNonce()
        let successor = token.successor(nonce: nonce)
        #expect(successor.sessionID == token.sessionID && successor.generation == 2 && successor.family == token.family)
        #expect(successor.secret != token.secret && SessionRefreshToken(parsing: successor.text) == successor)
        #expect(token.successor(nonce: nonce) == successor)
        #expect(token.successor(nonce: SessionRefreshToken.newNonce()) != successor)
        // Without the token, the nonce leads nowhere: another token of the family derives another secret.
        #expect(successor.successor(nonce: nonce).secret != successor.secret)
    }

    @Test("an earlier-format token moves to generation 1 of its session, the same for the same nonce")
    func migration() throws {
        let legacy = LegacySessions.newToken()
        let sessionID = RefreshTokenFormat.newSessionID()
        let nonce = SessionRefreshToken.newNonce()
        let moved = SessionRefreshToken.migrating(legacy: legacy, sessionID: sessionID, nonce: nonce)
        #expect(moved.generation == 1 && moved.sessionID == sessionID && SessionRefreshToken(parsing: moved.text) == moved)
        #expect(SessionRefreshToken.migrating(legacy: legacy, sessionID: sessionID, nonce: nonce) == moved)
        #expect(RefreshTokenFormat.isLegacyToken(legacy) && SessionRefreshToken(parsing: legacy) == nil)
    }

    @Test("anything else is not a token of either format", arguments: [
        "", String(repeating: "a", count: 42), String(repeating: "a", count: 44), String(repeating: "a", count: 42) + "=",
        String(repeating: "é", count: 43), "AAAAAAAAAAAAAAAAAAAAAA.0.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAAAAAAAAA.01.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAAAAAAAAA.+1.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAAAAAAAAA.1000000000.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAAAAAAAAA.1.AAAAAAAAAAAAAAAAAAAAAB.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAAAAAAAAA.1.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.",
        "AAAAAAAAAAAAAAAAAAAAAA.1.AAAAAAAAAAAAAAAAAAAAAA",
    ])
    func malformedTokens(token: String) {
        #expect(SessionRefreshToken(parsing: token) == nil)
        #expect(RefreshTokenFormat.isLegacyToken(token) == false)
    }

    @Test("the digests: lowercase hex SHA-256 for earlier-format records, base64url SHA-256 in the session record")
    func digest() {
        #expect(RefreshTokenFormat.digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SessionRefreshToken.digest("abc") == "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0")
    }

    @Test("a sealed successor opens under the token it was sealed with, and under no other")
    func sealRoundTrip() throws {
        let old = SessionRefreshToken.first(sessionID: RefreshTokenFormat.newSessionID()).text
        let pair = SuccessorPair(accessToken: "access.token.value", refreshToken: SessionRefreshToken.first(sessionID: RefreshTokenFormat.newSessionID()).text)
        let sealed = try SuccessorSeal.seal(pair, under: old)

        #expect(!sealed.contains(pair.refreshToken))
        #expect(try SuccessorSeal.open(sealed, under: old) == pair)
        #expect(throws: (any Error).self) { try SuccessorSeal.open(sealed, under: SessionRefreshToken.first(sessionID: RefreshTokenFormat.newSessionID()).text) }
        #expect(throws: (any Error).self) { try SuccessorSeal.open("not base64!", under: old) }
    }
}
