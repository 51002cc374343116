@testable import AuthService
import HummingbirdBcrypt
import Testing

@Suite("PasswordHasher: argon2id at the OWASP parameters, bcrypt still verifies")
struct PasswordHasherTests {
    @Test("new hashes use argon2id with m=19 MiB, t=2, p=1 and verify without needing a rehash")
    func productionParameters() async throws {
        let hasher = try PasswordHasher()
        let hash = try await hasher.hash("correct-horse")

        #expect(hash.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
        #expect(try await hasher.verify("correct-horse", against: hash) == .init(matches: true, needsRehash: false))
        #expect(try await hasher.verify("wrong-horse", against: hash).matches == false)
    }

    @Test("two hashes of one password differ (random salt)")
    func saltedHashes() async throws {
        let hasher = try fastPasswordHasher()
        #expect(try await hasher.hash("same") != (try await hasher.hash("same")))
    }

    @Test("a hash made with weaker parameters verifies and asks for a rehash")
    func weakerParametersNeedRehash() async throws {
        let weak = try await fastPasswordHasher().hash("correct-horse")
        let verification = try await PasswordHasher().verify("correct-horse", against: weak)
        #expect(verification == .init(matches: true, needsRehash: true))
    }

    @Test("bcrypt hashes of every prefix verify and ask for a rehash", arguments: ["$2a$", "$2b$", "$2y$"])
    func bcryptVerifies(prefix: String) async throws {
        let hash = prefix + Bcrypt.hash("tutorial-pw", cost: 4).dropFirst(4)
        let hasher = try fastPasswordHasher()
        #expect(try await hasher.verify("tutorial-pw", against: hash) == .init(matches: true, needsRehash: true))
        #expect(try await hasher.verify("other-pw", against: hash).matches == false)
    }

    @Test("no stored hash, or one of an unknown kind, never matches", arguments: [nil, "", "plaintext", "$1$md5$hash", "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaA"] as [String?])
    func nothingElseMatches(stored: String?) async throws {
        let hasher = try fastPasswordHasher()
        #expect(try await hasher.verify("plaintext", against: stored).matches == false)
    }

    @Test("passwords with unicode and NUL bytes hash and verify exactly")
    func unusualPasswords() async throws {
        let hasher = try fastPasswordHasher()
        let password = "pässwörd 🔑\u{0}tail"
        let hash = try await hasher.hash(password)
        #expect(try await hasher.verify(password, against: hash).matches)
        #expect(try await hasher.verify("pässwörd 🔑", against: hash).matches == false)
    }
}
