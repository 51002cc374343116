import Foundation
import Testing
import TestSupport

extension EndToEndTests {
    @Suite("Protected routes and hostile tokens")
    struct ProtectedRouteTests {
        @Test("public content needs no token")
        func publicContent() async throws {
            let reply = try await SharedSystem.get().call(.GET, "/api/test/all")
            #expect(reply.status == 200)
            #expect(reply.body == "Public Content.")
        }

        @Test("the token is read from x-access-token and from Authorization: Bearer")
        func bothHeaders() async throws {
            let system = try SharedSystem.get()
            let user = try await system.account()
            for header in [("x-access-token", user.accessToken), ("Authorization", "Bearer \(user.accessToken)")] {
                let reply = try await system.call(.GET, "/api/test/user", headers: [header])
                #expect(reply.status == 200)
                #expect(reply.body == "User Content.")
            }
        }

        @Test("no token is 403 No token provided!", arguments: ["/api/test/user", "/api/test/mod", "/api/test/admin"])
        func noToken(path: String) async throws {
            let reply = try await SharedSystem.get().call(.GET, path)
            #expect(reply.status == 403)
            #expect(reply.message == "No token provided!")
        }

        @Test("alg none, a tampered payload, HS256 with the public key, wrong aud, wrong iss and wrong typ are 401 Unauthorized!")
        func hostileTokens() async throws {
            let system = try SharedSystem.get()
            let forge = try TokenMint.systemKey()
            let user = try await system.account()
            let hostile: [String: String] = [
                "alg none": try forge.unsigned(forge.claims(roles: ["admin"])),
                "tampered payload": try TokenMint.grantingAdmin(user.accessToken),
                "HS256 with the public key": try forge.hmacWithPublicKey(forge.claims(roles: ["admin"])),
                "wrong audience": try await forge.sign(forge.claims(roles: ["admin"], audience: "someone-else")),
                "wrong issuer": try await forge.sign(forge.claims(roles: ["admin"], issuer: "https://evil.example")),
                "wrong typ": try await forge.sign(forge.claims(roles: ["admin"]), type: "JWT"),
                "garbage": "not.a.token",
            ]
            for (attack, token) in hostile {
                for path in ["/api/test/user", "/api/test/admin"] {
                    let throughGateway = try await system.call(.GET, path, headers: [("x-access-token", token)])
                    #expect(throughGateway.status == 401, "\(attack) at \(path): \(throughGateway.body)")
                    #expect(throughGateway.message == "Unauthorized!", "\(attack)")
                }
                // The content service does not rely on the gateway: it refuses the same tokens itself.
                let direct = try await system.send(.GET, url: system.contentURL + "/api/test/admin", headers: [("authorization", "Bearer \(token)")])
                #expect(direct.status == 401, "\(attack) direct: \(direct.body)")
            }
        }

        @Test("an expired token is 401 with the tutorial's expiry message, so clients refresh")
        func expiredToken() async throws {
            let system = try SharedSystem.get()
            let forge = try TokenMint.systemKey()
            let expired = try await forge.sign(forge.claims(issuedAt: Date().addingTimeInterval(-3600), lifetime: 600))
            let reply = try await system.call(.GET, "/api/test/user", headers: [("Authorization", "Bearer \(expired)")])
            #expect(reply.status == 401)
            #expect(reply.message == "Unauthorized! Access Token was expired!")
        }

        @Test("a correctly signed token with our claims is accepted, proving the refusals above are about the attack")
        func forgeControl() async throws {
            let system = try SharedSystem.get()
            let forge = try TokenMint.systemKey()
            let token = try await forge.sign(forge.claims(roles: ["moderator"]))
            let reply = try await system.call(.GET, "/api/test/mod", headers: [("x-access-token", token)])
            #expect(reply.status == 200)
        }

        @Test("the JWKS is public and lists the signing key")
        func jwks() async throws {
            let system = try SharedSystem.get()
            let reply = try await system.call(.GET, "/.well-known/jwks.json")
            #expect(reply.status == 200)
            let keys = try #require(try reply.json()["keys"] as? [[String: Any]])
            #expect(keys.contains { $0["kid"] as? String == (try? TokenMint.systemKey().kid) && $0["kty"] as? String == "EC" })
            #expect(keys.allSatisfy { $0["d"] == nil })
        }
    }
}
