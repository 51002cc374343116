import Common
import Hummingbird
import Testing

@Suite("A service reads the access token from Authorization: Bearer, the one header the gateway writes")
struct AccessTokenHeaderTests {
    @Test("Bearer is matched without regard to case and the token trimmed", arguments: ["Bearer abc", "bearer abc", "BEARER abc", "Bearer  abc ", "Bearer abc\t"])
    func bearer(value: String) {
        #expect(AccessTokenHeader.token(in: [.authorization: value]) == "abc")
    }

    @Test("x-access-token is not read by a service: the gateway never forwards it")
    func accessTokenHeaderIgnored() {
        #expect(AccessTokenHeader.token(in: [.accessToken: "abc.def.ghi"]) == nil)
        #expect(AccessTokenHeader.token(in: [.accessToken: "from-header", .authorization: "Bearer from-bearer"]) == "from-bearer")
    }

    @Test("anything else is no token", arguments: ["Basic dXNlcjpwdw==", "Bearer", "Bearer ", "Token abc", "abc", ""])
    func noToken(value: String) {
        #expect(AccessTokenHeader.token(in: [.authorization: value]) == nil)
        #expect(AccessTokenHeader.token(in: [:]) == nil)
    }

    @Test("field writes what token reads")
    func roundTrip() {
        #expect(AccessTokenHeader.token(in: HTTPFields([AccessTokenHeader.field("a.b.c")])) == "a.b.c")
    }
}
