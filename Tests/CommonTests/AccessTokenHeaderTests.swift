import Common
import Hummingbird
import Testing

@Suite("The access token is read from x-access-token or Authorization: Bearer")
struct AccessTokenHeaderTests {
    @Test("x-access-token is read as is")
    func accessTokenHeader() {
        #expect(AccessTokenHeader.token(in: [.accessToken: "abc.def.ghi"]) == "abc.def.ghi")
    }

    @Test("Bearer is matched without regard to case and the token trimmed", arguments: ["Bearer abc", "bearer abc", "BEARER abc", "Bearer  abc ", "Bearer abc\t"])
    func bearer(value: String) {
        #expect(AccessTokenHeader.token(in: [.authorization: value]) == "abc")
    }

    @Test("x-access-token wins over Authorization")
    func precedence() {
        #expect(AccessTokenHeader.token(in: [.accessToken: "from-header", .authorization: "Bearer from-bearer"]) == "from-header")
    }

    @Test("anything else is no token", arguments: ["Basic dXNlcjpwdw==", "Bearer", "Bearer ", "Token abc", "abc", ""])
    func noToken(value: String) {
        #expect(AccessTokenHeader.token(in: [.authorization: value]) == nil)
        #expect(AccessTokenHeader.token(in: [:]) == nil)
    }

    @Test("an empty x-access-token falls back to Authorization")
    func emptyAccessTokenFallsBack() {
        #expect(AccessTokenHeader.token(in: [.accessToken: "", .authorization: "Bearer b"]) == "b")
    }
}
