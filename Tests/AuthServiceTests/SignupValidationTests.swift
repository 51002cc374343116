@testable import AuthService
import Common
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Signup refuses bad input with a 400 naming the field, and never crashes")
struct SignupValidationTests {
    let fixture: AuthFixture

    init() throws {
        self.fixture = try AuthFixture()
    }

    @Test(
        "each invalid field gets its own message",
        arguments: [
            (#"{"email":"a@example.com","password":"secret1"}"#, "Failed! username is required!"),
            (#"{"username":"","email":"a@example.com","password":"secret1"}"#, "Failed! username is required!"),
            (#"{"username":"ab","email":"a@example.com","password":"secret1"}"#, "Failed! username must be 3 to 20 characters!"),
            (#"{"username":"abcdefghijklmnopqrstu","email":"a@example.com","password":"secret1"}"#, "Failed! username must be 3 to 20 characters!"),
            (#"{"username":"two words","email":"a@example.com","password":"secret1"}"#, "Failed! username must not contain spaces or control characters!"),
            (#"{"username":"alice","password":"secret1"}"#, "Failed! email is required!"),
            (#"{"username":"alice","email":"not-an-email","password":"secret1"}"#, "Failed! email must be a valid email address!"),
            (#"{"username":"alice","email":"a@nodot","password":"secret1"}"#, "Failed! email must be a valid email address!"),
            (#"{"username":"alice","email":"a@example.com"}"#, "Failed! password is required!"),
            (#"{"username":"alice","email":"a@example.com","password":"12345"}"#, "Failed! password must be 6 to 128 characters!"),
            (#"{"username":5,"email":"a@example.com","password":"secret1"}"#, "username must be a string"),
            (#"{"username":"alice","email":["a@example.com"],"password":"secret1"}"#, "email must be a string"),
            (#"{"username":"alice","email":"a@example.com","password":{"p":1}}"#, "password must be a string"),
            (#"{"username":"alice","email":"a@example.com","password":"secret1","roles":[1]}"#, "roles must be a list of strings"),
            (#"{"username":"alice","email":"a@example.com","password":"secret1","roles":true}"#, "roles must be a list of strings"),
            // 3 characters, each with 90 combining marks: within 3–20 characters, beyond VARCHAR(255).
            (#"{"username":"\#(String(repeating: "a" + String(repeating: "\u{301}", count: 90), count: 3))","email":"a@example.com","password":"secret1"}"#,
             "Failed! username must be at most 255 Unicode code points!"),
            (#"{"username":"alice","email":"a\#(String(repeating: "\u{301}", count: 260))@example.com","password":"secret1"}"#,
             "Failed! email must be a valid email address!"),
            (#"{"username":"alice","email":"a@bad_host.example","password":"secret1"}"#, "Failed! email must be a valid email address!"),
            (#"{"username":"alice","email":"a@example.com","password":"\#(String(repeating: "👨‍👩‍👧", count: 60))"}"#,
             "Failed! password must be at most 1024 bytes in UTF-8!"),
        ]
    )
    func invalidField(body: String, message: String) async throws {
        try await self.fixture.application().test(.router) { client in
            let reply = try await client.post("/api/auth/signup", json: body)
            #expect(reply.status == .badRequest)
            #expect(reply.text == #"{"message":"\#(message)"}"#)
        }
    }

    @Test("a username of 3 and of 20 characters and a password of 6 are accepted")
    func boundariesAccepted() async throws {
        try await self.fixture.application().test(.router) { client throws in
            #expect(try await client.signup("abc", password: "123456").status == .ok)
            #expect(try await client.signup("abcdefghijklmnopqrst").status == .ok)
        }
    }

    @Test("JSON that is not an object is 400", arguments: [#"["alice"]"#, #""alice""#, "42", "null"])
    func nonObjectJSON(body: String) async throws {
        try await self.fixture.application().test(.router) { client in
            let reply = try await client.post("/api/auth/signup", json: body)
            #expect(reply.status == .badRequest)
            #expect(reply.text == #"{"message":"Request body must be a JSON object"}"#)
        }
    }

    @Test("malformed JSON is 400", arguments: [#"{"username":"#, "{username: 'alice'}", "\u{0}\u{1}", #"{"a":1}}"#])
    func malformedJSON(body: String) async throws {
        try await self.fixture.application().test(.router) { client in
            let reply = try await client.post("/api/auth/signup", json: body)
            #expect(reply.status == .badRequest)
            #expect(reply.text == #"{"message":"Malformed JSON body"}"#)
        }
    }

    @Test("an empty body is a missing username, not a crash")
    func emptyBody() async throws {
        try await self.fixture.application().test(.router) { client in
            let reply = try await client.post("/api/auth/signup", json: "")
            #expect(reply.status == .badRequest)
            #expect(reply.message == "Failed! username is required!")
        }
    }

    @Test("the body limit is MAX_REQUEST_BODY_BYTES (64 KiB by default), as at the gateway: 20 KiB passes, 65 KiB is 413 JSON")
    func bodyLimit() async throws {
        let body: @Sendable (Int) -> String = { padding in
            #"{"username":"alice","email":"a@example.com","password":"secret1","pad":"\#(String(repeating: "x", count: padding))"}"#
        }
        try await self.fixture.application().test(.router) { client in
            let accepted = try await client.post("/api/auth/signup", json: body(20 * 1024))
            #expect(accepted.status == .ok)
            let refused = try await client.post("/api/auth/signup", json: body(65 * 1024))
            #expect(refused.status == .contentTooLarge)
            #expect(refused.text == #"{"message":"Request body is too large"}"#)
        }
    }

    @Test("a smaller MAX_REQUEST_BODY_BYTES is what the auth service enforces")
    func configuredBodyLimit() async throws {
        var dependencies = self.fixture.dependencies
        dependencies.maxRequestBodyBytes = 1024
        try await Application(router: try await buildRouter(dependencies)).test(.router) { client in
            let reply = try await client.post("/api/auth/signup", json: #"{"pad":"\#(String(repeating: "x", count: 2048))"}"#)
            #expect(reply.status == .contentTooLarge)
        }
    }

    @Test("an unsupported content type is 415 JSON")
    func unsupportedContentType() async throws {
        try await self.fixture.application().test(.router) { client in
            let reply = try await client.execute(
                uri: "/api/auth/signup", method: .post, headers: [.contentType: "text/plain"],
                body: ByteBuffer(string: "username=alice")
            ) { Reply($0) }
            #expect(reply.status == .unsupportedMediaType)
            #expect(reply.message == "Content-Type must be application/json or application/x-www-form-urlencoded")
        }
    }

    @Test("a form-encoded signup works, percent-decoding included")
    func formSignup() async throws {
        try await self.fixture.application().test(.router) { client in
            let reply = try await client.post("/api/auth/signup", form: "username=dave&email=dave%40example.com&password=p%26ss+word&roles%5B%5D=user")
            #expect(reply.status == .ok)
            let user = try #require(try await self.fixture.users.find(username: "dave"))
            #expect(user.email == "dave@example.com")
            #expect(user.roles == [.user])
            #expect(try await client.signin("dave", password: "p&ss word").status == .ok)
        }
    }

    @Test("form roles[] reach the role check: moderator without a token is 403")
    func formRolesArePrivilegeChecked() async throws {
        try await self.fixture.application().test(.router) { client in
            let reply = try await client.post("/api/auth/signup", form: "username=eve&email=eve@example.com&password=secret1&roles[]=user&roles[]=moderator")
            #expect(reply.status == .forbidden)
            #expect(reply.text == #"{"message":"Require Admin Role!"}"#)
        }
    }

    @Test("form roles with an unknown name are refused by name")
    func formUnknownRole() async throws {
        try await self.fixture.application().test(.router) { client in
            let reply = try await client.post("/api/auth/signup", form: "username=eve&email=eve@example.com&password=secret1&roles=wizard")
            #expect(reply.status == .badRequest)
            #expect(reply.text == #"{"message":"Failed! Role does not exist = wizard"}"#)
        }
    }
}
