@testable import AuthService
import Common
import Foundation
import Hummingbird
import HummingbirdTesting
import JWTKit
import TestSupport

/// argon2id cheap enough for handler tests; the production parameters have their own test.
func fastPasswordHasher() throws -> PasswordHasher {
    try PasswordHasher(parameters: .init(iterations: 1, memoryKiB: 1024, parallelism: 1))
}

/// The auth service assembled from in-memory parts around one fresh signing key.
struct AuthFixture {
    static let tokens = TokenSettings(issuer: testIssuer, audience: testAudience, leeway: 30)
    static let accessTokenTTL = 600
    static let policy = SessionPolicy(absoluteLifetime: 7_200, idleLifetime: 3_600, reuseGrace: 10, revocationRetention: 8_000)

    let clock: TestClock
    let users: MemoryUserRepository
    let sessions: MemorySessionStore
    let throttle: MemorySigninThrottle
    let audit: MemoryAuditRepository
    let passwords: PasswordHasher
    let signingKeys: SigningKeys
    /// Off, as by default; the cookie tests turn them on.
    var sessionCookies = SessionCookieSettings()

    init(throttlePolicy: SigninThrottlePolicy = SigninThrottlePolicy(), policy: SessionPolicy = Self.policy) throws {
        self.clock = TestClock()
        self.users = MemoryUserRepository()
        self.sessions = MemorySessionStore(policy: policy, clock: self.clock)
        self.throttle = MemorySigninThrottle(policy: throttlePolicy, clock: self.clock)
        self.audit = MemoryAuditRepository()
        self.passwords = try fastPasswordHasher()
        self.signingKeys = SigningKeys(signingKey: try PrivateSigningKey(.es256(ES256PrivateKey())))
    }

    var dependencies: AuthDependencies {
        var dependencies = AuthDependencies(
            users: self.users, sessions: self.sessions, throttle: self.throttle, audit: self.audit, auditTrail: self.audit,
            passwords: self.passwords,
            signingKeys: self.signingKeys, tokens: Self.tokens, accessTokenTTL: Self.accessTokenTTL, clock: self.clock
        )
        dependencies.sessionCookies = self.sessionCookies
        return dependencies
    }

    /// The application over the very router the service runs.
    func application() async throws -> some ApplicationProtocol {
        Application(router: try await buildRouter(self.dependencies))
    }

    /// A verifier that trusts only what the JWKS publishes, as the gateway and content service do.
    func verifier() async throws -> AccessTokenVerifier {
        AccessTokenVerifier(
            keys: try await StaticVerificationKeys(self.signingKeys.jwks),
            issuer: Self.tokens.issuer, audience: Self.tokens.audience, clock: self.clock
        )
    }

    /// Stores an account directly, bypassing signup.
    @discardableResult
    func addUser(_ username: String, password: String = "correct-horse", roles: [Role] = [.user]) async throws -> Int {
        try await self.users.create(
            NewUser(username: username, email: "\(username.lowercased())@example.com", passwordHash: try await self.passwords.hash(password), roles: roles)
        )
    }
}

/// A response's status and body, decoded once.
struct Reply {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var text: String

    /// The body as a JSON object (`[:]` when it is not one).
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(self.text.utf8))) as? [String: Any] ?? [:]
    }

    var message: String? { self.json["message"] as? String }

    init(_ response: TestResponse) {
        self.status = response.status
        self.headers = response.headers
        self.text = String(buffer: response.body)
    }
}

/// What signin answers.
struct SigninBody: Decodable {
    var id: Int
    var username: String
    var email: String
    var roles: [String]
    var accessToken: String
    var refreshToken: String
}

extension TestClientProtocol {
    func post(_ uri: String, json: String, headers: HTTPFields = [:]) async throws -> Reply {
        var headers = headers
        headers[.contentType] = "application/json"
        return try await self.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: json)) { Reply($0) }
    }

    func post(_ uri: String, form: String, headers: HTTPFields = [:]) async throws -> Reply {
        var headers = headers
        headers[.contentType] = "application/x-www-form-urlencoded"
        return try await self.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: form)) { Reply($0) }
    }

    func signup(_ username: String, email: String? = nil, password: String = "correct-horse", roles: [String]? = nil, token: String? = nil) async throws -> Reply {
        var body: [String: Any] = ["username": username, "email": email ?? "\(username.lowercased())@example.com", "password": password]
        if let roles { body["roles"] = roles }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
        return try await self.post("/api/auth/signup", json: json, headers: token.map { HTTPFields([AccessTokenHeader.field($0)]) } ?? [:])
    }

    func signin(_ username: String, password: String = "correct-horse") async throws -> Reply {
        let json = String(decoding: try JSONSerialization.data(withJSONObject: ["username": username, "password": password]), as: UTF8.self)
        return try await self.post("/api/auth/signin", json: json)
    }

    /// Signs in and decodes the success body; the test fails if signin does not succeed.
    func signedIn(_ username: String, password: String = "correct-horse") async throws -> SigninBody {
        let reply = try await self.signin(username, password: password)
        guard reply.status == .ok else {
            throw SigninFailed(status: reply.status, body: reply.text)
        }
        return try JSONDecoder().decode(SigninBody.self, from: Data(reply.text.utf8))
    }

    func refresh(_ token: String?) async throws -> Reply {
        let body: String = if let token { #"{"refreshToken":"\#(token)"}"# } else { "{}" }
        return try await self.post("/api/auth/refreshtoken", json: body)
    }
}

struct SigninFailed: Error, CustomStringConvertible {
    var status: HTTPResponse.Status
    var body: String
    var description: String { "signin answered \(self.status.code): \(self.body)" }
}
