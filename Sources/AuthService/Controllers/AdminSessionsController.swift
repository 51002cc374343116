import Common
import Hummingbird

/// An admin's view of a user's sessions and signin back-off: list the sessions, end them all, clear
/// the lockout.
struct AdminSessionsController: UsesAuthDependencies {
    let dependencies: AuthDependencies

    /// On a group whose routes already require an unrevoked admin's token.
    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("users/:id/sessions", use: self.list)
        group.delete("users/:id/sessions", use: self.endAll)
        group.delete("users/:id/lockout", use: self.clearLockout)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ListResponse<SessionResponse> {
        let claims = try context.requireClaims()
        let user = try await self.existingUser(context)
        let live = try await self.sessions.liveSessions(ofUser: user.id)
        return ListResponse(elements: live.map { SessionResponse($0, current: $0.id == claims.sid) })
    }

    /// Ends every session of the user and refuses every access token issued before now: at once (so
    /// that a database failure next still leaves them ended), then under a new credential epoch, so
    /// that no signin or refresh that read the account before opens or continues one
    /// (``CredentialIssuer``).
    @Sendable func endAll(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<MessageResponse> {
        let claims = try context.requireClaims()
        let user = try await self.existingUser(context)
        let ended = try await self.sessions.liveSessions(ofUser: user.id).map { JSONValue.string($0.id) }
        try await self.sessions.revokeAllSessions(userID: user.id, epoch: nil)
        guard let epoch = try await self.users.advanceCredentialEpoch(userID: user.id) else { throw AccountController.userNotFound }
        let position = try await self.sessions.revokeAllSessions(userID: user.id, epoch: epoch)
        await self.audit.record(RequestOrigin(request).event(
            .sessionsEnded, userID: user.id, actorID: claims.id, details: ["sessions": .array(ended), "scope": "all"], clock: self.clock
        ))
        return EditedResponse(headers: .revocationPosition(position), response: MessageResponse(message: "Sessions ended"))
    }

    @Sendable func clearLockout(_ request: Request, context: AppRequestContext) async throws -> MessageResponse {
        let claims = try context.requireClaims()
        let user = try await self.existingUser(context)
        try await self.throttle.recordSuccess(username: user.username)
        await self.audit.record(RequestOrigin(request).event(.lockoutCleared, userID: user.id, actorID: claims.id, clock: self.clock))
        return MessageResponse(message: "Lockout cleared")
    }

    private func existingUser(_ context: AppRequestContext) async throws -> UserSummary {
        guard let user = try await self.users.summary(id: try RequestParameters.userID(context)) else {
            throw AccountController.userNotFound
        }
        return user
    }
}
