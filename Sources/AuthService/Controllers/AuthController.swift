import Common
import Hummingbird
import Logging
import ServiceKit

/// Signup, signin, refresh and signout, as the contract words them.
///
/// Signout sits behind the access-token authenticator like every signed-in route, except with session
/// cookies (``SessionCookieJar``): then the refresh cookie names a session too, and signout answers
/// without a valid access token. Signup is public (a stale token that a refresh client attaches must
/// not refuse it) and looks at a token only when it asks for a privileged role.
struct AuthController: UsesAuthDependencies {
    let dependencies: AuthDependencies
    let credentials: CredentialIssuer
    let verifier: AccessTokenVerifier
    /// Verification mails at signup, and the `required` check at signin; `nil` without mail.
    var mail: MailFeatures? = nil
    /// Session cookies: set by signin and refresh, read by refresh and signout, cleared by signout.
    let cookies: SessionCookieJar
    /// Second factors; `nil` in handler tests built from in-memory parts (nobody has one there).
    var secondFactor: SecondFactorFeatures? = nil

    /// `group` is public; `signedIn` already requires an unrevoked access token.
    func addRoutes(to group: RouterGroup<AppRequestContext>, signedIn: RouterGroup<AppRequestContext>) {
        group.post("signup", use: self.signup)
        group.post("signin", use: self.signin)
        if self.secondFactor != nil {
            group.post("signin/mfa", use: self.signinWithSecondFactor)
        }
        group.post("refreshtoken", use: self.refresh)
        if self.cookies.enabled {
            // A token is checked when there is one; the refresh cookie may name the session instead.
            group.group().add(middleware: AccessTokenAuthenticator(verifier: self.verifier)).post("signout", use: self.cookieSignout)
        } else {
            signedIn.post("signout", use: self.signout)
        }
    }

    static let invalidCredentials = APIError(
        .unauthorized, "Invalid username or password!", extraFields: ["accessToken": nil]
    )

    @Sendable func signup(_ request: Request, context: AppRequestContext) async throws -> MessageResponse {
        let signup = try SignupRequest(fields: await RequestFields.parse(request, context: context))
        let admin = signup.asksForPrivilegedRole ? try await self.requireAdmin(request) : nil
        if let taken = try await self.users.conflict(username: signup.username, email: signup.email) {
            throw Self.conflictError(taken)
        }
        let hash = try await self.passwords.hash(signup.password)
        do {
            let id = try await self.users.create(
                NewUser(username: signup.username, email: signup.email, passwordHash: hash, roles: signup.roles)
            )
            AuthMetrics.signup("ok")
            await self.audit.record(RequestOrigin(request).event(
                .signup, userID: id, actorID: admin?.id, details: ["roles": .array(signup.roles.map { .string($0.rawValue) })], clock: self.clock
            ))
            context.logger.info("User registered", metadata: ["user_id": "\(id)", "roles": "\(signup.roles.map(\.rawValue))"])
            await self.sendVerification(to: id, logger: context.logger)
        } catch let conflict as UserConflict {
            throw Self.conflictError(conflict.field)
        }
        return MessageResponse(message: "User registered successfully!")
    }

    @Sendable func signin(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<SigninAnswer> {
        let fields = try await RequestFields.parse(request, context: context)
        guard let username = try fields.string("username"), !username.isEmpty else {
            throw APIError(.badRequest, "Failed! username is required!")
        }
        guard let password = try fields.string("password"), !password.isEmpty else {
            throw APIError(.badRequest, "Failed! password is required!")
        }
        // Longer than any stored name could be typed (255 code points, decomposed or fullwidth),
        // or a password signup could never have accepted: no account can match.
        guard username.unicodeScalars.count <= Self.maximumTypedUsernameCodePoints, password.utf8.count <= 1024 else {
            throw Self.invalidCredentials
        }
        let origin = RequestOrigin(request)
        if let wait = try await self.throttle.lockedFor(username: username) {
            context.logger.info("Signin throttled")
            AuthMetrics.signin("throttled")
            AuthMetrics.rateLimited("signin_account")
            await self.audit.record(origin.event(.signinFailed, userID: nil, details: ["reason": "throttled"], clock: self.clock))
            throw APIError.tooManyRequests(retryAfter: wait)
        }
        let user = try await self.users.find(username: username)
        let verification = try await self.passwords.verify(password, against: user?.passwordHash)
        // A disabled account takes the wrong password's path: the answer reveals nothing.
        guard let user, verification.matches, !user.disabled else {
            try await self.throttle.recordFailure(username: username)
            context.logger.info("Signin refused")
            AuthMetrics.signin("failed")
            let reason: JSONValue = user == nil ? "unknown_user" : verification.matches ? "disabled" : "wrong_password"
            await self.audit.record(origin.event(.signinFailed, userID: user?.id, details: ["reason": reason], clock: self.clock))
            throw Self.invalidCredentials
        }
        try await self.throttle.recordSuccess(username: username)
        if self.mail?.verification == .required, !user.emailVerified {
            // After the password check: a wrong password still gets the 401, so nothing is enumerated.
            AuthMetrics.signin("unverified")
            await self.audit.record(origin.event(.signinFailed, userID: user.id, details: ["reason": "email_not_verified"], clock: self.clock))
            throw APIError(.forbidden, "Email not verified")
        }
        if verification.needsRehash {
            await self.upgradeHash(of: user, password: password, logger: context.logger)
        }
        if user.secondFactorEnabled {
            // No tokens yet: a client that only looks for `accessToken` (the tutorial's) stores nothing.
            guard let factors = self.secondFactor else { throw SecondFactorFeatures.notConfigured }
            let token = try await factors.pending.start(PendingSignin(userID: user.id, epoch: user.credentialEpoch, attempts: 0))
            AuthMetrics.signin("second_factor_required")
            context.logger.info("Signin waits for the second factor", metadata: ["user_id": "\(user.id)"])
            return EditedResponse(response: .challenge(SecondFactorChallenge(mfaToken: token)))
        }
        return try await self.completeSignin(user, methods: .password, origin: origin, context: context)
    }

    /// The second half of a signin whose password was right: the pending signin's `mfaToken` with a
    /// code or a recovery code. The token is spent by the attempt; a wrong code puts it back with one
    /// more attempt (it dies at the fifth) and counts in the account's back-off like a wrong password.
    /// When the account changed since the password was checked (its credential epoch moved: a password
    /// change, a reset, the factor removed...), the token is refused: sign in again.
    @Sendable func signinWithSecondFactor(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<SigninAnswer> {
        guard let factors = self.secondFactor else { throw APIError(.notFound, "Not Found") }
        let fields = try await RequestFields.parse(request, context: context)
        guard let presented = try fields.string("mfaToken"), !presented.isEmpty else {
            throw APIError(.badRequest, "Failed! mfaToken is required!")
        }
        guard let proof = try SecondFactorFeatures.proof(in: fields) else {
            throw APIError(.badRequest, "Failed! code or recoveryCode is required!")
        }
        let origin = RequestOrigin(request)
        guard let (pending, remaining) = try await factors.pending.take(presented) else { throw Self.invalidSecondFactorToken }
        guard let user = try await self.users.find(id: pending.userID), !user.disabled, user.credentialEpoch == pending.epoch,
            user.secondFactorEnabled
        else {
            await self.audit.record(origin.event(.signinFailed, userID: pending.userID, details: ["reason": "account_changed", "route": "mfa"], clock: self.clock))
            throw Self.invalidSecondFactorToken
        }
        if let wait = try await self.throttle.lockedFor(username: user.username) {
            // Not an attempt: the token keeps its count and its time.
            var kept = pending
            kept.attempts -= 1
            _ = try await factors.pending.putBack(presented, kept, remaining: remaining)
            AuthMetrics.rateLimited("signin_account")
            await self.audit.record(origin.event(.signinFailed, userID: user.id, details: ["reason": "throttled", "route": "mfa"], clock: self.clock))
            throw APIError.tooManyRequests(retryAfter: wait)
        }
        guard try await factors.check(proof, userID: user.id, logger: context.logger) else {
            try await self.throttle.recordFailure(username: user.username)
            let alive = try await factors.pending.putBack(presented, pending, remaining: remaining)
            AuthMetrics.signin("failed")
            await self.audit.record(origin.event(
                .signinFailed, userID: user.id, details: ["reason": "wrong_code", "with": proof.kind, "tokenAlive": .bool(alive)], clock: self.clock
            ))
            throw SecondFactorFeatures.invalidCode
        }
        try await self.throttle.recordSuccess(username: user.username)
        if case .recoveryCode = proof {
            let left = try await factors.repository.status(userID: user.id).recoveryCodesLeft
            await self.audit.record(origin.event(.recoveryCodeUsed, userID: user.id, actorID: user.id, details: ["recoveryCodesLeft": .number(Double(left))], clock: self.clock))
        }
        return try await self.completeSignin(user, methods: .passwordAndOTP, origin: origin, context: context)
    }

    static let invalidSecondFactorToken = APIError(.unauthorized, "Invalid or expired mfaToken: please sign in again")

    /// Opens the session of a signin whose every factor was checked, and answers as the tutorial's signin.
    private func completeSignin(
        _ user: UserRecord, methods: AuthenticationMethods, origin: RequestOrigin, context: AppRequestContext
    ) async throws -> EditedResponse<SigninAnswer> {
        guard let issued = try await self.credentials.openSession(for: user, client: origin.client, methods: methods) else {
            // The account changed while the password was checked (a password change, a disable...):
            // what was checked no longer holds. The wrong password's answer; not the user's failure.
            context.logger.info("Signin refused: the account changed meanwhile", metadata: ["user_id": "\(user.id)"])
            AuthMetrics.signin("account_changed")
            await self.audit.record(origin.event(.signinFailed, userID: user.id, details: ["reason": "account_changed"], clock: self.clock))
            throw Self.invalidCredentials
        }
        context.logger.info("Signed in", metadata: ["user_id": "\(user.id)"])
        AuthMetrics.signin("ok")
        await self.audit.record(origin.event(
            .signinSucceeded, userID: user.id, details: ["session": .string(issued.sessionID), "amr": .array(methods.claim.map { .string($0) })],
            clock: self.clock
        ))
        let inBody = self.cookies.tokensInBodies
        return EditedResponse(
            headers: try await self.cookies.setting(accessToken: issued.accessToken, refreshToken: issued.refreshToken, sessionID: issued.sessionID),
            response: .signedIn(SigninResponse(
                id: user.id, username: user.username, email: user.email, roles: user.roles.map(\.authority),
                accessToken: inBody ? issued.accessToken : nil, refreshToken: inBody ? issued.refreshToken : nil
            ))
        )
    }

    /// Rotates the body's `refreshToken`, or without one the refresh cookie the gateway forwards.
    @Sendable func refresh(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<RefreshResponse> {
        let fields = try await RequestFields.parse(request, context: context)
        guard let token = try fields.string("refreshToken").flatMap({ $0.isEmpty ? nil : $0 }) ?? self.cookies.refreshToken(in: request) else {
            throw APIError(.forbidden, "Refresh Token is required!")
        }
        switch try await self.credentials.refresh(token) {
        case .unknownToken:
            throw Self.unknownRefreshToken
        case .accountDisabled, .secondFactorMissing:
            throw Self.revokedRefreshToken
        case .issued(let pair, let outcome):
            AuthMetrics.refresh(outcome.metricLabel)
            guard self.cookies.enabled else {
                return EditedResponse(response: RefreshResponse(accessToken: pair.accessToken, refreshToken: pair.refreshToken))
            }
            guard let sessionID = SessionRefreshToken(parsing: pair.refreshToken)?.sessionID else {
                throw APIError.serviceUnavailable
            }
            let headers = try await self.cookies.setting(accessToken: pair.accessToken, refreshToken: pair.refreshToken, sessionID: sessionID)
            return EditedResponse(
                headers: headers,
                response: self.cookies.tokensInBodies
                    ? RefreshResponse(accessToken: pair.accessToken, refreshToken: pair.refreshToken)
                    : RefreshResponse(message: "Token is refreshed successfully!")
            )
        case .refused(let outcome):
            AuthMetrics.refresh(outcome.metricLabel)
            throw await self.refusal(outcome, request, context)
        }
    }

    /// The answer to a refresh token the store refused.
    private func refusal(_ outcome: RotationOutcome, _ request: Request, _ context: AppRequestContext) async -> APIError {
        switch outcome {
        case .expired:
            return APIError(.forbidden, "Refresh token was expired. Please make a new signin request")
        case .revoked:
            return Self.revokedRefreshToken
        case .reused(let userID, let sessionID):
            // The script denied the session already; this also tells every gateway, so the session's
            // access tokens stop working at once too.
            _ = try? await self.sessions.revokeSession(sessionID, userID: userID)
            context.logger.warning("Refresh token reuse: session revoked", metadata: ["user_id": "\(userID)", "session": "\(sessionID)"])
            await self.audit.record(RequestOrigin(request).event(
                .refreshReuseDetected, userID: userID, details: ["session": .string(sessionID)], clock: self.clock
            ))
            return APIError(.forbidden, "Refresh token was already used: the session has been revoked. Please make a new signin request")
        case .accountChanged:
            // The account changed twice while this refresh ran: nothing was spent, the client may retry.
            return .serviceUnavailable
        case .unknown, .rotated, .replayedWithinGrace, .replayedUnusedSuccessor:
            return Self.unknownRefreshToken
        }
    }

    /// Ends the caller's session, or with `?scope=global` every session of the user.
    @Sendable func signout(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<MessageResponse> {
        let claims = try context.requireClaims()
        let scope = request.uri.queryParameters.get("scope") ?? "local"
        guard scope == "local" || scope == "global" else {
            throw APIError(.badRequest, "scope must be local or global")
        }
        var position = try await self.sessions.revokeAccessToken(jti: claims.jti, expiresAt: claims.exp)
        if scope == "global" {
            // Ended at once, so that a database failure next still leaves them ended; then the epoch,
            // so that a signin or refresh that read the account before cannot open or continue one.
            position = try await self.sessions.revokeAllSessions(userID: claims.id, epoch: nil) ?? position
            if let epoch = try await self.users.advanceCredentialEpoch(userID: claims.id) {
                position = try await self.sessions.revokeAllSessions(userID: claims.id, epoch: epoch) ?? position
            }
        } else {
            position = try await self.sessions.revokeSession(claims.sid, userID: claims.id) ?? position
        }
        AuthMetrics.signout(scope)
        await self.audit.record(RequestOrigin(request).event(
            .signout, userID: claims.id, actorID: claims.id, details: ["scope": .string(scope), "session": .string(claims.sid)], clock: self.clock
        ))
        context.logger.info("Signed out", metadata: ["user_id": "\(claims.id)", "scope": "\(scope)"])
        return EditedResponse(headers: .revocationPosition(position), response: MessageResponse(message: "You've been signed out!"))
    }

    /// Signout with session cookies: the session of a valid access token, as ``signout(_:context:)``
    /// ends it, or else the one the refresh cookie names (the access cookie may have expired; the
    /// gateway then forwards no token). Answers 200 and clears both cookies even when no session is
    /// left to end, so that a client that signs out on every 401 does not loop.
    @Sendable func cookieSignout(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<MessageResponse> {
        if let claims = context.identity {
            if try await !self.sessions.isRevoked(claims) {
                var answer = try await self.signout(request, context: context)
                answer.headers.append(contentsOf: self.cookies.clearing)
                return answer
            }
            // A revoked token alone is refused as on every signed-in route; beside a refresh cookie,
            // the cookie still names a session to end.
            guard self.cookies.refreshToken(in: request) != nil else {
                AuthMetrics.tokenRefused("revoked")
                throw APIError.unauthorized
            }
        }
        let scope = request.uri.queryParameters.get("scope") ?? "local"
        guard scope == "local" || scope == "global" else {
            throw APIError(.badRequest, "scope must be local or global")
        }
        var headers = self.cookies.clearing
        if let token = self.cookies.refreshToken(in: request), let owner = try await self.sessions.owner(of: token) {
            var position = try await self.sessions.revokeSession(owner.sessionID, userID: owner.userID)
            if scope == "global" {
                position = try await self.sessions.revokeAllSessions(userID: owner.userID, epoch: nil) ?? position
                if let epoch = try await self.users.advanceCredentialEpoch(userID: owner.userID) {
                    position = try await self.sessions.revokeAllSessions(userID: owner.userID, epoch: epoch) ?? position
                }
            }
            AuthMetrics.signout(scope)
            await self.audit.record(RequestOrigin(request).event(
                .signout, userID: owner.userID, actorID: owner.userID,
                details: ["scope": .string(scope), "session": .string(owner.sessionID), "by": "refresh_cookie"], clock: self.clock
            ))
            context.logger.info("Signed out by the refresh cookie", metadata: ["user_id": "\(owner.userID)", "scope": "\(scope)"])
            headers.append(contentsOf: HTTPFields.revocationPosition(position))
        }
        return EditedResponse(headers: headers, response: MessageResponse(message: "You've been signed out!"))
    }

    static let unknownRefreshToken = APIError(.forbidden, "Refresh token is not in database!")
    static let revokedRefreshToken = APIError(.forbidden, "Refresh token was revoked. Please make a new signin request")

    /// Four times the 255 code points a stored name may have: room for any decomposed spelling.
    static let maximumTypedUsernameCodePoints = 1020

    /// Privileged roles need an admin's valid access token on the signup request itself; returns its claims.
    private func requireAdmin(_ request: Request) async throws -> AccessTokenClaims {
        guard let token = AccessTokenHeader.token(in: request.headers) else {
            throw APIError.requireAdmin
        }
        let claims = try await self.verifier.claimsOrRefusal(for: token)
        // The gateway does not check revocation on public routes: a signed-out or demoted admin's
        // token must not grant roles here.
        guard try await !self.sessions.isRevoked(claims) else { throw APIError.unauthorized }
        guard claims.hasRole(Role.admin.rawValue) else { throw APIError.requireAdmin }
        // The gateway's MFA_REQUIRED_ROLES rule, for the one public route that takes a token.
        if let factors = self.secondFactor, factors.lacksRequiredFactor(claims) { throw SecondFactorFeatures.required }
        return claims
    }

    /// The verification mail of a new account, when verification is on and mail is configured. The
    /// account exists already: a failure here is logged, and the user can ask for another mail.
    private func sendVerification(to userID: Int, logger: Logger) async {
        guard let mail = self.mail, mail.verification != .off, mail.settings.isConfigured else { return }
        do {
            if try await mail.repository.requestVerification(userID: userID, token: .new(), ttl: mail.settings.emailVerificationTTL) == .queued {
                await mail.signal.notify()
            }
        } catch {
            logger.error("Verification mail not queued", metadata: ["user_id": "\(userID)", "error": "\(String(reflecting: type(of: error)))"])
        }
    }

    /// A bcrypt hash from the tutorial becomes argon2id at its first successful signin, unless a
    /// password change replaced it meanwhile.
    private func upgradeHash(of user: UserRecord, password: String, logger: Logger) async {
        do {
            try await self.users.upgradePasswordHash(userID: user.id, replacing: user.passwordHash, with: try await self.passwords.hash(password))
            logger.info("Password hash upgraded to argon2id", metadata: ["user_id": "\(user.id)"])
        } catch {
            logger.error("Password hash upgrade failed", metadata: ["user_id": "\(user.id)", "error": "\(String(reflecting: type(of: error)))"])
        }
    }

    static func conflictError(_ field: UserConflict.Field) -> APIError {
        field == .email
            ? APIError(.badRequest, "Failed! Email is already in use!")
            : APIError(.badRequest, "Failed! Username is already in use!")
    }
}
