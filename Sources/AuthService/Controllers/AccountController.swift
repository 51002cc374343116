import Common
import Hummingbird

/// What any signed-in user does with their own account: the profile, a password change, and the
/// list of their sessions, any of which they can end.
struct AccountController: UsesAuthDependencies {
    let dependencies: AuthDependencies
    let credentials: CredentialIssuer
    /// Sends the notice of a password change; `nil` without mail.
    var mail: MailFeatures? = nil
    /// A password change hands its fresh pair over in session cookies too (only there in `only` mode).
    let cookies: SessionCookieJar
    /// `mfa` in the profile, and the code a password change of an enrolled user needs; `nil` in
    /// handler tests built from in-memory parts.
    var secondFactor: SecondFactorFeatures? = nil

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
        let status = try await self.secondFactor?.repository.status(userID: user.id)
        return ProfileResponse(
            id: user.id, username: user.username, email: user.email, roles: user.roles.map(\.authority), emailVerified: user.emailVerified,
            mfa: status.map(FactorStatusResponse.init)
        )
    }

    /// Checks the current password like a signin (the same back-off, so it is no password oracle),
    /// then replaces the hash only while it is still the one checked (of concurrent changes from one
    /// password exactly one wins; the others are answered as a wrong current password), advancing the
    /// credential epoch with it; ends every other session, refuses every access token of an older epoch,
    /// and hands the calling session a fresh pair under the new one (``CredentialIssuer``).
    ///
    /// The other sessions end before the write (so a failure after it never leaves them alive with a
    /// changed password) without touching the calling session, whose token a concurrent winner's fresh
    /// pair must not lose to this change's late start. "Password changed" is said only of a committed
    /// write: one that ran past its deadline changed nothing and answers 503.
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
        try await self.requireSecondFactor(of: user, fields: fields, origin: origin, route: "password", context: context)
        try await self.throttle.recordSuccess(username: user.username)
        let hash = try await self.passwords.hash(new)
        // A session that cannot go on (ended meanwhile, or opened before sessions had details) changes nothing.
        guard try await self.sessions.liveSessions(ofUser: user.id).contains(where: { $0.id == claims.sid }) else {
            throw APIError.unauthorized
        }
        try await self.sessions.endOtherSessions(ofUser: user.id, keeping: claims.sid, epoch: nil)
        let changed = try await self.storePassword(hash, for: user)
        let position = try await self.sessions.endOtherSessions(ofUser: user.id, keeping: claims.sid, epoch: changed.credentialEpoch)
        let methods = AuthenticationMethods(secondFactor: user.secondFactorEnabled || claims.hasSecondFactor)
        guard let issued = try await self.credentials.renewSession(claims.sid, of: changed, methods: methods) else {
            // Committed, but this session was ended (or the account changed again) in the meantime.
            throw APIError.unauthorized
        }
        await self.audit.record(origin.event(.passwordChanged, userID: user.id, actorID: user.id, details: ["session": .string(claims.sid)], clock: self.clock))
        context.logger.info("Password changed", metadata: ["user_id": "\(user.id)"])
        if let mail = self.mail, await !mail.notice(.passwordChanged, userID: user.id) {
            context.logger.error("Password change notice not queued", metadata: ["user_id": "\(user.id)"])
        }
        var headers = HTTPFields.revocationPosition(position)
        headers.append(contentsOf: try await self.cookies.setting(accessToken: issued.accessToken, refreshToken: issued.refreshToken, sessionID: issued.sessionID))
        let inBody = self.cookies.tokensInBodies
        return EditedResponse(
            headers: headers,
            response: PasswordChangedResponse(
                message: "Password changed", accessToken: inBody ? issued.accessToken : nil, refreshToken: inBody ? issued.refreshToken : nil
            )
        )
    }

    /// An enrolled user's change of the password or the address needs the current factor too (`code`
    /// or `recoveryCode`), checked after the password and spent; a wrong one counts in the back-off.
    func requireSecondFactor(of user: UserRecord, fields: RequestFields, origin: RequestOrigin, route: String, context: AppRequestContext) async throws {
        guard user.secondFactorEnabled else { return }
        guard let factors = self.secondFactor else { throw SecondFactorFeatures.notConfigured }
        guard let proof = try SecondFactorFeatures.proof(in: fields) else { throw SecondFactorFeatures.codeRequired }
        guard try await factors.check(proof, userID: user.id, logger: context.logger) else {
            try await self.throttle.recordFailure(username: user.username)
            await self.audit.record(origin.event(.signinFailed, userID: user.id, details: ["reason": "wrong_code", "route": .string(route)], clock: self.clock))
            throw SecondFactorFeatures.invalidCode
        }
    }

    /// Writes `hash` over the hash `user` was read with and the current password checked against;
    /// the account as it is once written. When only the epoch moved meanwhile (roles changed, say), the
    /// check still holds: the account is read again and the write retried, once. When the hash itself
    /// was replaced, another change won: the answer is the wrong current password's.
    private func storePassword(_ hash: String, for user: UserRecord) async throws -> UserRecord {
        var account = user
        for _ in 0..<2 {
            switch try await self.users.changePassword(userID: account.id, replacing: user.passwordHash, at: account.credentialEpoch, with: hash) {
            case .changed(let epoch):
                account.passwordHash = hash
                account.credentialEpoch = epoch
                return account
            case .lost:
                throw Self.wrongPassword
            case .accountChanged:
                guard let fresh = try await self.users.find(id: user.id), fresh.passwordHash == user.passwordHash, !fresh.disabled else {
                    throw Self.wrongPassword
                }
                account = fresh
            }
        }
        // The account changed twice during this request: nothing was written, the client may retry.
        throw APIError.serviceUnavailable
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
