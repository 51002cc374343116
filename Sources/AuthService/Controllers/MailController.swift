import Common
import Hummingbird

/// Recovery and verification by mail: forgot and reset a password, verify an address, ask for a new
/// verification mail, change the address. Every token travels only in its mail and is stored as a
/// hash; every mail is written to the outbox with its token, in one statement, and the delivery
/// worker sends it.
struct MailController: UsesAuthDependencies {
    let dependencies: AuthDependencies
    let mail: MailFeatures
    /// Checks the code an enrolled user's address change needs.
    var account: AccountController? = nil

    /// `group` is public; `signedIn` already requires an unrevoked access token.
    func addRoutes(to group: RouterGroup<AppRequestContext>, signedIn: RouterGroup<AppRequestContext>) {
        group.post("password/forgot", use: self.forgot)
        group.post("password/reset", use: self.reset)
        group.post("email/verify", use: self.verify)
        signedIn.post("email/verify/resend", use: self.resend)
        signedIn.post("email", use: self.changeEmail)
    }

    /// Always the same answer, after the same work: a quota step counted per address key and one
    /// statement that writes a token and its mail only when an enabled account has that address. The
    /// mail itself leaves later, from the worker, so nothing in the answer's timing tells them apart.
    @Sendable func forgot(_ request: Request, context: AppRequestContext) async throws -> MessageResponse {
        let email = try MailRequests.email(try await RequestFields.parse(request, context: context), "email")
        let key = try EmailAddress.key(of: email)
        if try await self.mail.quota.take(MailQuotaKey.forgot(key)) == nil {
            if let userID = try await self.mail.repository.requestPasswordReset(emailKey: key, token: .new(), ttl: self.mail.settings.passwordResetTTL) {
                await self.mail.signal.notify()
                await self.audit.record(RequestOrigin(request).event(.passwordResetRequested, userID: userID, clock: self.clock))
            }
        } else {
            AuthMetrics.rateLimited("mail_account")
            context.logger.info("Reset mail not sent: the address's quota is spent")
        }
        return MessageResponse(message: MailRequests.forgotAnswer)
    }

    /// Sets a new password with a reset link, and ends every session of the account with the same
    /// guarantee as a password change (``CredentialIssuer``): sessions are ended before the write (so
    /// that a failure after it leaves none alive), the write advances the credential epoch in the
    /// statement that spends the token, and the revocation after it raises the epoch's mirror, so no
    /// signin or refresh that read the account before the reset outlives it. The signin back-off of
    /// the account is cleared: the owner proved they hold its address.
    @Sendable func reset(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<MessageResponse> {
        let fields = try await RequestFields.parse(request, context: context)
        let token = try MailRequests.required(fields, "token")
        let new = try MailRequests.required(fields, "newPassword")
        try SignupRequest.checkPassword(new, field: "newPassword")
        guard let tokenHash = MailToken.hash(ofPresented: token),
            let userID = try await self.mail.repository.userOfToken(hash: tokenHash, purpose: .passwordReset)
        else { throw MailRequests.invalidResetLink }
        let passwordHash = try await self.passwords.hash(new)
        try await self.sessions.revokeAllSessions(userID: userID, epoch: nil)
        guard let reset = try await self.mail.repository.resetPassword(tokenHash: tokenHash, newPasswordHash: passwordHash) else {
            throw MailRequests.invalidResetLink
        }
        let position = try await self.sessions.revokeAllSessions(userID: reset.userID, epoch: reset.epoch)
        try await self.throttle.recordSuccess(username: reset.username)
        await self.mail.signal.notify()
        await self.audit.record(RequestOrigin(request).event(.passwordReset, userID: reset.userID, actorID: reset.userID, clock: self.clock))
        context.logger.info("Password reset", metadata: ["user_id": "\(reset.userID)"])
        return EditedResponse(headers: .revocationPosition(position), response: MessageResponse(message: "Password reset"))
    }

    /// Uses a verification link, or the link that confirms a new address (which must still be free).
    @Sendable func verify(_ request: Request, context: AppRequestContext) async throws -> MessageResponse {
        let token = try MailRequests.required(try await RequestFields.parse(request, context: context), "token")
        guard let tokenHash = MailToken.hash(ofPresented: token) else { throw MailRequests.invalidVerificationLink }
        let origin = RequestOrigin(request)
        do {
            switch try await self.mail.repository.confirmEmail(tokenHash: tokenHash) {
            case .verified(let userID):
                await self.audit.record(origin.event(.emailVerified, userID: userID, actorID: userID, clock: self.clock))
            case .changed(let userID, let email):
                await self.mail.signal.notify()
                await self.audit.record(origin.event(.emailChanged, userID: userID, actorID: userID, details: ["email": .string(email)], clock: self.clock))
                context.logger.info("Email changed", metadata: ["user_id": "\(userID)"])
            case .invalid:
                throw MailRequests.invalidVerificationLink
            }
        } catch is UserConflict {
            throw AuthController.conflictError(.email)
        }
        return MessageResponse(message: "Email verified")
    }

    /// A new verification mail for the caller's address.
    @Sendable func resend(_ request: Request, context: AppRequestContext) async throws -> MessageResponse {
        let claims = try context.requireClaims()
        guard let user = try await self.users.find(id: claims.id), !user.disabled else { throw APIError.unauthorized }
        if let wait = try await self.mail.quota.take(try MailQuotaKey.account(user.email)) {
            AuthMetrics.rateLimited("mail_account")
            throw APIError.tooManyRequests(retryAfter: wait)
        }
        switch try await self.mail.repository.requestVerification(userID: claims.id, token: .new(), ttl: self.mail.settings.emailVerificationTTL) {
        case .queued:
            await self.mail.signal.notify()
            return MessageResponse(message: "Verification mail sent")
        case .alreadyVerified:
            throw APIError(.badRequest, "Email is already verified")
        case .noAccount:
            throw APIError.unauthorized
        }
    }

    /// Sends a confirmation link to the new address and a notice to the current one; the address
    /// changes only when the link is used. The current password is checked like a signin's (the same
    /// back-off), so a stolen session alone cannot move the account's mail elsewhere.
    @Sendable func changeEmail(_ request: Request, context: AppRequestContext) async throws -> MessageResponse {
        let claims = try context.requireClaims()
        let fields = try await RequestFields.parse(request, context: context)
        let newEmail = try MailRequests.email(fields, "newEmail")
        let current = try MailRequests.required(fields, "currentPassword")
        let origin = RequestOrigin(request)
        guard let user = try await self.users.find(id: claims.id), !user.disabled else { throw APIError.unauthorized }
        if let wait = try await self.throttle.lockedFor(username: user.username) {
            AuthMetrics.rateLimited("password_account")
            await self.audit.record(origin.event(.signinFailed, userID: user.id, details: ["reason": "throttled", "route": "email"], clock: self.clock))
            throw APIError.tooManyRequests(retryAfter: wait)
        }
        guard current.utf8.count <= SignupRequest.maximumPasswordBytes,
            try await self.passwords.verify(current, against: user.passwordHash).matches
        else {
            try await self.throttle.recordFailure(username: user.username)
            await self.audit.record(origin.event(.signinFailed, userID: user.id, details: ["reason": "wrong_password", "route": "email"], clock: self.clock))
            throw AccountController.wrongPassword
        }
        if let account = self.account {
            try await account.requireSecondFactor(of: user, fields: fields, origin: origin, route: "email", context: context)
        } else if user.secondFactorEnabled {
            throw SecondFactorFeatures.notConfigured
        }
        try await self.throttle.recordSuccess(username: user.username)
        let newKey = try EmailAddress.key(of: newEmail)
        guard newKey != (try EmailAddress.key(of: user.email)) else {
            throw APIError(.badRequest, "Failed! newEmail is already your address!")
        }
        if try await self.mail.repository.isEmailTaken(key: newKey) { throw AuthController.conflictError(.email) }
        if let wait = try await self.mail.quota.take(try MailQuotaKey.account(user.email)) {
            AuthMetrics.rateLimited("mail_account")
            throw APIError.tooManyRequests(retryAfter: wait)
        }
        guard try await self.mail.repository.requestEmailChange(
            userID: user.id, newEmail: newEmail, newEmailKey: newKey, token: .new(), ttl: self.mail.settings.emailVerificationTTL
        ) else { throw APIError.unauthorized }
        await self.mail.signal.notify()
        await self.audit.record(origin.event(.emailChangeRequested, userID: user.id, actorID: user.id, details: ["email": .string(newEmail)], clock: self.clock))
        return MessageResponse(message: "Confirmation mail sent to the new address")
    }
}

/// An admin sends a user a reset link: the admin never sees or sets a password.
struct AdminMailController: UsesAuthDependencies {
    let dependencies: AuthDependencies
    let mail: MailFeatures

    /// On a group whose routes already require an unrevoked admin's token.
    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("users/:id/password-reset", use: self.sendReset)
    }

    @Sendable func sendReset(_ request: Request, context: AppRequestContext) async throws -> MessageResponse {
        let claims = try context.requireClaims()
        let id = try RequestParameters.userID(context)
        guard let user = try await self.users.summary(id: id) else { throw AccountController.userNotFound }
        guard user.disabledAt == nil else { throw APIError(.badRequest, "Failed! A disabled account cannot reset its password!") }
        if let wait = try await self.mail.quota.take(try MailQuotaKey.account(user.email)) {
            AuthMetrics.rateLimited("mail_account")
            throw APIError.tooManyRequests(retryAfter: wait)
        }
        guard try await self.mail.repository.requestPasswordReset(userID: id, token: .new(), ttl: self.mail.settings.passwordResetTTL) else {
            throw AccountController.userNotFound
        }
        await self.mail.signal.notify()
        await self.audit.record(RequestOrigin(request).event(.passwordResetRequested, userID: id, actorID: claims.id, clock: self.clock))
        context.logger.notice("Password reset mail sent by an admin", metadata: ["user_id": "\(id)", "actor_id": "\(claims.id)"])
        return MessageResponse(message: "Password reset mail sent")
    }
}
