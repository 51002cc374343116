import Common
import Foundation
import Hummingbird
import ServiceKit
import Testing

@Suite("APIError renders the contract's JSON error body")
struct APIErrorTests {
    private func object(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test("the body is exactly {\"message\": ...}")
    func messageOnly() throws {
        let error = APIError(.badRequest, "Failed! Username is already in use!")
        #expect(String(decoding: error.jsonBody(), as: UTF8.self) == #"{"message":"Failed! Username is already in use!"}"#)
    }

    @Test("an extra field that is nil is written as JSON null, as signin's accessToken")
    func nullExtraField() throws {
        let error = APIError(.unauthorized, "Invalid username or password!", extraFields: ["accessToken": nil])
        #expect(String(decoding: error.jsonBody(), as: UTF8.self) == #"{"accessToken":null,"message":"Invalid username or password!"}"#)
    }

    @Test("quotes, backslashes, control characters and unicode in a message stay valid JSON")
    func escaping() throws {
        let message = "Role does not exist = \"ad\\min\"\n\u{1}é🚀</script>"
        let object = try self.object(APIError(.badRequest, message).jsonBody())
        #expect(object["message"] as? String == message)
        #expect(object.count == 1)
    }

    @Test("the response carries the status, a JSON content type and any extra header")
    func response() {
        let error = APIError(.tooManyRequests, "Too many requests", headers: [.retryAfter: "30"])
        let response = error.response()
        #expect(response.status == .tooManyRequests)
        #expect(response.headers[.contentType] == "application/json; charset=utf-8")
        #expect(response.headers[.retryAfter] == "30")
    }

    @Test("an expired token answers the contract's expired message; every other refusal a plain 401")
    func tokenErrorsMapToContract() {
        #expect(TokenVerificationError(.expired).apiError == APIError(.unauthorized, "Unauthorized! Access Token was expired!"))
        for code in [TokenVerificationError.Code.malformed, .unacceptableHeader, .unknownKey, .badSignature, .wrongClaims, .notYetValid] {
            #expect(TokenVerificationError(code).apiError == APIError(.unauthorized, "Unauthorized!"))
        }
    }
}
