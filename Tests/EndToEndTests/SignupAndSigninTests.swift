import Foundation
import Testing

extension EndToEndTests {
    @Suite("Signup and signin")
    struct SignupAndSigninTests {
        @Test("the welcome route answers JSON")
        func welcome() async throws {
            let reply = try await SharedSystem.get().call(.GET, "/")
            #expect(reply.status == 200)
            #expect(reply.message?.isEmpty == false)
        }

        @Test("signup then signin returns the tutorial's body with both tokens")
        func signupThenSignin() async throws {
            let system = try SharedSystem.get()
            let name = RunningSystem.uniqueName()
            let signup = try await system.signup(name)
            #expect(signup.status == 200)
            #expect(signup.message == "User registered successfully!")

            let signin = try await system.signin(name)
            #expect(signin.status == 200)
            let body = try signin.json()
            #expect(body["id"] is Int)
            #expect(body["username"] as? String == name)
            #expect(body["email"] as? String == "\(name)@example.com")
            #expect(body["roles"] as? [String] == ["ROLE_USER"])
            #expect((body["accessToken"] as? String)?.split(separator: ".").count == 3)
            #expect((body["refreshToken"] as? String)?.count ?? 0 >= 43)
        }

        @Test("usernames and emails are unique regardless of case")
        func caseInsensitiveUniqueness() async throws {
            let system = try SharedSystem.get()
            let name = RunningSystem.uniqueName()
            try await system.signup(name)
            let sameName = try await system.call(
                .POST, "/api/auth/signup",
                json: RunningSystem.json(["username": name.uppercased(), "email": "other-\(name)@example.com", "password": "secret-pw"])
            )
            #expect(sameName.status == 400)
            #expect(sameName.message == "Failed! Username is already in use!")
            let sameEmail = try await system.call(
                .POST, "/api/auth/signup",
                json: RunningSystem.json(["username": "x" + name.prefix(15), "email": "\(name)@EXAMPLE.com".uppercased(), "password": "secret-pw"])
            )
            #expect(sameEmail.status == 400)
            #expect(sameEmail.message == "Failed! Email is already in use!")
        }

        @Test("sixteen concurrent signups of one name create exactly one account")
        func concurrentSignups() async throws {
            let system = try SharedSystem.get()
            let name = RunningSystem.uniqueName()
            let statuses = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for index in 0..<16 {
                    group.addTask {
                        let variant = index % 2 == 0 ? name : name.uppercased()
                        let reply = try await system.call(
                            .POST, "/api/auth/signup",
                            json: RunningSystem.json(["username": variant, "email": "c\(index)-\(name)@example.com", "password": "secret-pw"])
                        )
                        return (reply.status, reply.message)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0.0 == 200 }.count == 1)
            #expect(statuses.filter { $0.0 == 400 && $0.1 == "Failed! Username is already in use!" }.count == 15)
        }

        @Test("unknown user and wrong password get the same 401 body")
        func noUserEnumeration() async throws {
            let system = try SharedSystem.get()
            let name = RunningSystem.uniqueName()
            try await system.signup(name)
            let wrongPassword = try await system.signin(name, password: "not-the-password")
            let unknownUser = try await system.signin(RunningSystem.uniqueName(), password: "not-the-password")
            #expect(wrongPassword.status == 401)
            #expect(unknownUser.status == 401)
            #expect(wrongPassword.body == unknownUser.body)
            let body = try wrongPassword.json()
            #expect(body.keys.contains("accessToken"))
            #expect(body["accessToken"] is NSNull)
        }

        @Test("form-encoded bodies work like JSON")
        func formEncoded() async throws {
            let system = try SharedSystem.get()
            let name = RunningSystem.uniqueName()
            let form = [("Content-Type", "application/x-www-form-urlencoded")]
            let signup = try await system.call(.POST, "/api/auth/signup", headers: form, json: "username=\(name)&email=\(name)%40example.com&password=secret-pw&roles[]=user")
            #expect(signup.status == 200)
            let signin = try await system.call(.POST, "/api/auth/signin", headers: form, json: "username=\(name)&password=secret-pw")
            #expect(signin.status == 200)
        }

        @Test(
            "invalid signups get a 400 naming the field and change nothing",
            arguments: [
                (#"{"email":"a@b.co","password":"secret-pw"}"#, "username"),
                (#"{"username":"ab","email":"a@b.co","password":"secret-pw"}"#, "username"),
                (#"{"username":5,"email":"a@b.co","password":"secret-pw"}"#, "username"),
                (#"{"username":"validname","email":"not-an-email","password":"secret-pw"}"#, "email"),
                (#"{"username":"validname","email":"a@b.co","password":"123"}"#, "password"),
                (#"{"username":"validname","email":"a@b.co","password":"secret-pw","roles":["superuser"]}"#, "superuser"),
            ]
        )
        func invalidSignup(body: String, field: String) async throws {
            let system = try SharedSystem.get()
            let reply = try await system.call(.POST, "/api/auth/signup", json: body)
            #expect(reply.status == 400)
            #expect(reply.message?.contains(field) == true, "\(reply.body)")
            #expect(try await system.signin("validname").status != 200)
        }
    }
}
