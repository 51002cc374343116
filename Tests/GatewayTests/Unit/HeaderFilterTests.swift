@testable import Gateway
import Testing

@Suite("The header filter matches names ignoring ASCII case, and nothing else")
struct HeaderFilterTests {
    @Test("listed names stop at the gateway in any case", arguments: ["connection", "Connection", "CONNECTION", "tE", "X-User-Roles", "x-forwarded-user"])
    func listedRequestHeaders(name: String) {
        #expect(HeaderFilter.dropsFromRequests(FieldName(spelled: name)))
    }

    @Test("every X-Forwarded- header from a client stops, in any case", arguments: ["X-Forwarded-For", "x-forwarded-host", "X-FORWARDED-PROTO", "x-forwarded-anything"])
    func forwardedPrefix(name: String) {
        #expect(HeaderFilter.dropsFromRequests(FieldName(spelled: name)))
    }

    @Test(
        "a name that only looks like a listed one passes",
        arguments: ["content-type", "connections", "connectio", "x-forwarded", "x-forwarded_for", "x-user-id2", "tf", "", "conn\u{e9}ction"]
    )
    func unlistedRequestHeaders(name: String) {
        #expect(!HeaderFilter.dropsFromRequests(FieldName(spelled: name)))
    }

    @Test("responses lose hop-by-hop headers and Server, and keep the rest")
    func responseHeaders() {
        #expect(HeaderFilter.dropsFromResponses(FieldName(spelled: "Server")))
        #expect(HeaderFilter.dropsFromResponses(FieldName(spelled: "TRANSFER-ENCODING")))
        #expect(!HeaderFilter.dropsFromResponses(FieldName(spelled: "content-length")))
        #expect(!HeaderFilter.dropsFromResponses(FieldName(spelled: "x-forwarded-for")))
    }

    @Test("case folding touches letters only: a byte 0x20 away from a letter is not that letter")
    func foldsLettersOnly() {
        // '@' (0x40) | 0x20 is '`', '-' is 0x2D, CR is 0x0D: none may match as if folded.
        #expect(!"x\u{0D}user".equalsLowercaseASCII("x-user"))
        #expect(!HeaderNameSet(["`a"]).contains("@A"))
        #expect(HeaderNameSet(["`a"]).contains("`A"))
    }

    @Test("names listed in Connection are hop-by-hop, in any case; close and keep-alive are not names")
    func connectionTokens() {
        let listed = HeaderFilter.connectionTokens(["close, X-Hop , keep-alive", "TE"])
        #expect(listed.contains("x-hop") && listed.contains("X-HOP") && listed.contains("te"))
        #expect(!listed.contains("close") && !listed.contains("keep-alive") && !listed.contains("x-other"))
        #expect(!HeaderFilter.connectionTokens(["keep-alive"]).contains("keep-alive"))
    }
}
