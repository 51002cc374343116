import Common
import Hummingbird

/// What any signed-in user does with their own account: the profile, a password change, and the
/// list of their sessions, any of which they can end.
struct AccountController: Sendable {
    let users: any UserRepository
    let sessions: any SessionStore
    let throttle: any SigninThrottle
    let passwords: PasswordHasher
    let accessTokens: AccessTokenIssuer
    let audit: any AuditRecorder
    let clock: any WallClock

    /// On a group whose routes already require an unrevoked access token.
    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("me", use: self.me)
        group.post("password", use: self.changePassword)
        group.get("sessions", use: self.listSessions)
        group.delete("sessions/:id", use: self.endSession)
    }

    static let userNotFound = APIError(.notFound, "User not found")
    static let sessionNotFound = APIError(.notFound, "Session not found")
    static let wrongPassword = APIError(.unauthorized, "Wrong current password!")

    @Sendable func me(_ request: Request, context: AppRequestContext) async throws -> ProfileResponse {
        let claims = try context.requireClaims()
        guard let user = try await self.users.find(id: claims.id) else { throw Self.userNotFound }
        return ProfileResponse(id: user.id, username: user.username, email: user.email, roles: user.roles.map(\.authority))
    }

    /// Checks the current password like a signin (the same back-off, so it is no password oracle),
    /// then ends every other session, refuses every access token issued before now, and hands the
    /// calling session a fresh pair. The other sessions end both before the new hash is stored (so
    /// a failure leaves them ended, never alive with a changed password) and after it (so a signin
    /// with the old password racing the change does not survive it); the calling session's refresh
    /// token is replaced before the hash is stored, so a session that cannot go on (ended meanwhile,
    /// or opened before sessions had details) changes nothing.
    @Sendable func changePassword(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<PasswordChangedResponse> {
        let claims = try context.requireClaims()
        let fields = try await RequestFields.parse(request, context: context)
        guard let current = try fields.string("currentPassword"), !current.isEmpty else {
            throw APIError(.badRequest, "Failed! currentPassword is required!")
        }
        guard let new = try fields.string("newPassword"), !new.isEmpty else {
            throw APIError(.badRequest, "Failed! newPassword is required!")
        }
        try SignupRequest.checkPassword(new, field: "newPassword")
        let origin = RequestOrigin(request)
        guard let user = try await self.users.find(id: claims.id), !user.disabled else { throw APIError.unauthorized }
        if let wait = try await self.throttle.lockedFor(username: user.username) {
            AuthMetrics.rateLimited("password_account")
            await self.audit.record(origin.event(.signinFailed, userID: user.id, details: ["reason": "throttled", "route": "password"], clock: self.clock))
            throw APIError.tooManyRequests(retryAfter: wait)
        }
        guard current.utf8.count <= SignupRequest.maximumPasswordBytes,
            try await self.passwords.verify(current, against: user.passwordHash).matches
        else {
            try await self.throttle.recordFailure(username: user.username)
            await self.audit.record(origin.event(.signinFailed, userID: user.id, details: ["reason": "wrong_password", "route": "password"], clock: self.clock))
            throw Self.wrongPassword
        }
        try await self.throttle.recordSuccess(username: user.username)
        let hash = try await self.passwords.hash(new)
        try await self.sessions.endOtherSessions(ofUser: user.id, keeping: claims.sid)
        guard let renewed = try await self.sessions.renewRefreshToken(ofSession: claims.sid, userID: user.id) else {
            throw APIError.unauthorized
        }
        try await self.users.updatePasswordHash(userID: user.id, hash: hash)
        let position = try await self.sessions.endOtherSessions(ofUser: user.id, keeping: claims.sid)
        // After the last cut-off: the first access token that counts.
        let accessToken = try await self.accessTokens.issue(userID: user.id, roles: user.roles, sessionID: claims.sid)
        await self.audit.record(origin.event(.passwordChanged, userID: user.id, actorID: user.id, details: ["session": .string(claims.sid)], clock: self.clock))
        context.logger.info("Password changed", metadata: ["user_id": "\(user.id)"])
        return EditedResponse(
            headers: .revocationPosition(position),
            response: PasswordChangedResponse(message: "Password changed", accessToken: accessToken, refreshToken: renewed.token)
        )
    }

    @Sendable func listSessions(_ request: Request, context: AppRequestContext) async throws -> ListResponse<SessionResponse> {
        let claims = try context.requireClaims()
        let live = try await self.sessions.liveSessions(ofUser: claims.id)
        return ListResponse(elements: live.map { SessionResponse($0, current: $0.id == claims.sid) })
    }

    /// Ends one of the caller's sessions (its refresh tokens and access tokens at once); 404 for any
    /// id that is not one of theirs.
    @Sendable func endSession(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<MessageResponse> {
        let claims = try context.requireClaims()
        guard let id = context.parameters.get("id"), RefreshTokenFormat.isPlausibleSessionID(id),
            let ended = try await self.sessions.endSession(id, ofUser: claims.id)
        else { throw Self.sessionNotFound }
        await self.audit.record(RequestOrigin(request).event(
            .sessionsEnded, userID: claims.id, actorID: claims.id, details: ["sessions": .array([.string(id)])], clock: self.clock
        ))
        return EditedResponse(headers: .revocationPosition(ended.position), response: MessageResponse(message: "Session ended"))
    }
}
