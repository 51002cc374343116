@testable import AuthService
import Common
import Testing

/// Shorthands for store tests about sessions rather than epochs: an account that never changed is at
/// epoch 0, which no mirror refuses until a change raises it.
extension SessionStore {
    /// Opens a session at epoch 0; fails the test when the store refuses.
    func open(userID: Int, client: ClientDetails = .unknown) async throws -> IssuedRefreshToken {
        try #require(try await self.open(userID: userID, epoch: 0, client: client), "the store refused a session at epoch 0")
    }

    /// Rotates for an account read at epoch 0, sealing with ``testSeal(_:)``.
    func rotate(_ token: String, epoch: Int = 0) async throws -> RotationOutcome {
        try await self.rotate(token, epoch: epoch, sealing: testSeal)
    }
}

/// What store tests seal a successor into: a different value for every successor, holding no token.
@Sendable func testSeal(_ successor: String) -> String {
    "sealed:" + SessionRefreshToken.digest(successor)
}

extension RotationOutcome {
    /// The successor of a rotation; `nil` for every other outcome.
    var successor: String? {
        if case .rotated(let successor) = self { return successor }
        return nil
    }
}

/// An access token signed by `keys` the only way the service signs one: through a ``CredentialIssuer``,
/// for a session of user `userID` opened on in-memory stores.
func signedAccessToken(keys: SigningKeys, userID: Int, roles: [Role] = [.user]) async throws -> String {
    let issuer = CredentialIssuer(
        users: MemoryUserRepository(),
        sessions: MemorySessionStore(policy: AuthFixture.policy),
        accessTokens: await AccessTokenIssuer(signingKeys: keys, settings: AuthFixture.tokens, lifetime: 600)
    )
    let account = UserRecord(id: userID, username: "user\(userID)", email: "user\(userID)@example.com", passwordHash: "", roles: roles)
    return try #require(try await issuer.openSession(for: account, client: .unknown)).accessToken
}
