import Foundation
import Testing

extension EndToEndTests {
    @Suite("Usernames that look the same are the same")
    struct UsernameTests {
        private func signup(_ system: RunningSystem, _ username: String, email: String? = nil) async throws -> RunningSystem.Reply {
            try await system.call(
                .POST, "/api/auth/signup",
                json: RunningSystem.json(["username": username, "email": email ?? "\(RunningSystem.uniqueName("e"))@example.com", "password": "secret-pw"])
            )
        }

        @Test(
            "while rootadmin exists, its lookalikes are refused: taken, or refused by the profile's rule",
            arguments: [
                ("ｒｏｏｔａｄｍｉｎ", "Failed! Username is already in use!"),
                ("ROOTADMIN", "Failed! Username is already in use!"),
                ("rootadrnin", "Failed! Username is already in use!"),
                ("root\u{200B}admin", "Failed! username must not contain invisible or formatting characters!"),
                ("root\u{AD}admin", "Failed! username must not contain invisible or formatting characters!"),
                ("\u{202E}nimdatoor", "Failed! username must not contain invisible or formatting characters!"),
                ("r\u{043E}\u{043E}tadmin", "Failed! username must not mix scripts, such as Latin with Cyrillic or Greek!"),
                ("r\u{03BF}\u{03BF}tadmin", "Failed! username must not mix scripts, such as Latin with Cyrillic or Greek!"),
                ("\u{1D42B}\u{1D428}\u{1D428}\u{1D42D}admin", "Failed! username may contain only letters, digits and ASCII punctuation (no symbols, emoji or styled letters)!"),
            ]
        )
        func rootadminLookalikes(username: String, message: String) async throws {
            let reply = try await self.signup(SharedSystem.get(), username)
            #expect(reply.status == 400)
            #expect(reply.message == message)
        }

        @Test("the admin signs in with a fullwidth, upper-case spelling of its name and is answered with the name as stored")
        func signinWithAnotherSpelling() async throws {
            let system = try SharedSystem.get()
            let reply = try await system.signin("ＲＯＯＴＡＤＭＩＮ", password: RunningSystem.adminPassword)
            #expect(reply.status == 200)
            #expect(try reply.json()["username"] as? String == RunningSystem.adminUsername)
        }

        @Test("ß and ss, NFD and NFC are one name; the account keeps the name as typed, in NFC")
        func foldedAndNormalised() async throws {
            let system = try SharedSystem.get()
            let suffix = RunningSystem.uniqueName("").prefix(6)
            #expect(try await self.signup(system, "straße\(suffix)").status == 200)
            #expect(try await self.signup(system, "STRASSE\(suffix)").message == "Failed! Username is already in use!")
            #expect(try await system.signin("Strasse\(suffix)", password: "secret-pw").status == 200)

            let decomposed = "Jose\u{301}\(suffix)"
            #expect(try await self.signup(system, decomposed).status == 200)
            let signin = try await system.signin("jos\u{E9}\(suffix)", password: "secret-pw")
            #expect(signin.status == 200)
            #expect(try signin.json()["username"] as? String == "Jos\u{E9}\(suffix)")
        }

        @Test("an email is taken whatever the case of its local part or the spelling of its domain")
        func emailSpellings() async throws {
            let system = try SharedSystem.get()
            let local = RunningSystem.uniqueName("m")
            #expect(try await self.signup(system, RunningSystem.uniqueName(), email: "\(local)@Bücher.example").status == 200)
            let reply = try await self.signup(system, RunningSystem.uniqueName(), email: "\(local.uppercased())@xn--bcher-kva.example")
            #expect(reply.status == 400)
            #expect(reply.message == "Failed! Email is already in use!")
        }

        @Test("a name or email within the character limits but over 255 code points is a 400, not a 500")
        func overlongInCodePoints() async throws {
            let system = try SharedSystem.get()
            let heavy = String(repeating: "a" + String(repeating: "\u{301}", count: 90), count: 3)
            let name = try await self.signup(system, heavy)
            #expect(name.status == 400)
            #expect(name.message == "Failed! username must be at most 255 Unicode code points!")
            let email = try await self.signup(system, RunningSystem.uniqueName(), email: "a" + String(repeating: "\u{301}", count: 260) + "@example.com")
            #expect(email.status == 400)
            #expect(email.message == "Failed! email must be a valid email address!")
        }

        @Test("signin with U+0000 in the name is the ordinary 401, not a 500", arguments: ["root\u{0}admin", "\u{0}", "rootadmin\u{0}"])
        func nulAtSignin(username: String) async throws {
            let reply = try await SharedSystem.get().signin(username, password: "whatever-pw")
            #expect(reply.status == 401)
            #expect(reply.body == #"{"accessToken":null,"message":"Invalid username or password!"}"#)
        }

        @Test("a 20 KiB signup body is within the documented 64 KiB limit end to end; 70 KiB is 413 JSON")
        func bodyLimitEndToEnd() async throws {
            let system = try SharedSystem.get()
            func body(_ padding: Int) -> String {
                RunningSystem.json([
                    "username": RunningSystem.uniqueName(), "email": "\(RunningSystem.uniqueName())@example.com",
                    "password": "secret-pw", "pad": String(repeating: "x", count: padding),
                ])
            }
            let accepted = try await system.call(.POST, "/api/auth/signup", json: body(20 * 1024))
            #expect(accepted.status == 200, "\(accepted.body)")
            let refused = try await system.call(.POST, "/api/auth/signup", json: body(70 * 1024))
            #expect(refused.status == 413)
            #expect(refused.message == "Request body is too large")
        }
    }
}
