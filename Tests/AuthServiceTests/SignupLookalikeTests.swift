@testable import AuthService
import Common
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Signup and signin treat names that look the same as the same name")
struct SignupLookalikeTests {
    let fixture: AuthFixture

    init() throws {
        self.fixture = try AuthFixture()
    }

    @Test(
        "while rootadmin exists, each lookalike spelling is refused as taken",
        arguments: ["RootAdmin", "ｒｏｏｔａｄｍｉｎ", "ＲＯＯＴＡＤＭＩＮ", "rootadrnin"]
    )
    func lookalikesAreTaken(username: String) async throws {
        try await self.fixture.addUser("rootadmin")
        try await self.fixture.application().test(.router) { client in
            let reply = try await client.signup(username, email: "other@example.com")
            #expect(reply.status == .badRequest)
            #expect(reply.text == #"{"message":"Failed! Username is already in use!"}"#)
        }
    }

    @Test(
        "a name that looks like an existing one as typed is taken: capital I beside l, 0 beside O, an i with a dot above",
        arguments: LookalikeSkeletonTests.lookalikePairs
    )
    func typedLookalikesAreTaken(existing: String, username: String) async throws {
        try await self.fixture.addUser(existing)
        try await self.fixture.application().test(.router) { client in
            let reply = try await client.signup(username, email: "other@example.com")
            #expect(reply.status == .badRequest)
            #expect(reply.text == #"{"message":"Failed! Username is already in use!"}"#)
        }
    }

    @Test(
        "lookalikes the profile refuses outright get their own 400",
        arguments: [
            ("root\u{200B}admin", "Failed! username must not contain invisible or formatting characters!"),
            ("root\u{AD}admin", "Failed! username must not contain invisible or formatting characters!"),
            ("\u{202E}nimdatoor", "Failed! username must not contain invisible or formatting characters!"),
            ("r\u{043E}\u{043E}tadmin", "Failed! username must not mix scripts, such as Latin with Cyrillic or Greek!"),
            ("r\u{03BF}\u{03BF}tadmin", "Failed! username must not mix scripts, such as Latin with Cyrillic or Greek!"),
            ("\u{1D42B}\u{1D428}\u{1D428}\u{1D42D}admin", "Failed! username may contain only letters, digits and ASCII punctuation (no symbols, emoji or styled letters)!"),
            ("abcשלום", "Failed! username mixes right-to-left and left-to-right text in a way that can be misread!"),
        ]
    )
    func refusedLookalikes(username: String, message: String) async throws {
        try await self.fixture.application().test(.router) { client in
            let reply = try await client.signup(username, email: "other@example.com")
            #expect(reply.status == .badRequest)
            #expect(reply.message == message)
        }
    }

    @Test("ß/ss, ς/σ, NFC/NFD and whole-script Cyrillic lookalikes collide with the first name signed up")
    func collisions() async throws {
        try await self.fixture.application().test(.router) { client in
            let pairs = [("straße", "STRASSE"), ("σοφος", "ΣΟΦΟΣ"), ("caf\u{E9}x", "cafe\u{301}x"), ("coco", "\u{0441}\u{043E}\u{0441}\u{043E}")]
            for (index, (first, second)) in pairs.enumerated() {
                #expect(try await client.signup(first, email: "first\(index)@example.com").status == .ok)
                let reply = try await client.signup(second, email: "second\(index)@example.com")
                #expect(reply.text == #"{"message":"Failed! Username is already in use!"}"#, "\(second)")
            }
        }
    }

    @Test("signin with any spelling that normalises alike finds the account, which keeps the name as typed, in NFC")
    func signinWithAnySpelling() async throws {
        try await self.fixture.application().test(.router) { client in
            #expect(try await client.signup("Cafe\u{301}", email: "cafe@example.com").status == .ok)
            for spelling in ["Caf\u{E9}", "CAFÉ", "ｃａｆé", "cafe\u{301}"] {
                let body = try await client.signedIn(spelling)
                #expect(body.username == "Caf\u{E9}")
            }
        }
    }

    @Test("an email taken with another case or another spelling of its domain is refused")
    func emailSpellings() async throws {
        try await self.fixture.application().test(.router) { client in
            #expect(try await client.signup("first", email: "Alice@Bücher.example").status == .ok)
            for email in ["alice@xn--bcher-kva.example", "ALICE@BÜCHER.EXAMPLE"] {
                let reply = try await client.signup("second", email: email)
                #expect(reply.text == #"{"message":"Failed! Email is already in use!"}"#, "\(email)")
            }
        }
    }

    @Test("signin with U+0000 in the name is the ordinary 401, and counts as a failed attempt")
    func nulAtSignin() async throws {
        try await self.fixture.addUser("alice")
        try await self.fixture.application().test(.router) { client in
            for name in ["ali\u{0}ce", "\u{0}", "alice\u{0}"] {
                let reply = try await client.signin(name)
                #expect(reply.status == .unauthorized)
                #expect(reply.text == #"{"accessToken":null,"message":"Invalid username or password!"}"#)
            }
            #expect(try await client.signin("alice").status == .ok)
        }
    }

    @Test("signin with a name longer than any account's is the ordinary 401")
    func overlongSigninName() async throws {
        try await self.fixture.application().test(.router) { client in
            let reply = try await client.signin(String(repeating: "a\u{301}", count: 600))
            #expect(reply.status == .unauthorized)
            #expect(reply.text == #"{"accessToken":null,"message":"Invalid username or password!"}"#)
        }
    }
}
