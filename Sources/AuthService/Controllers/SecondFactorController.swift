import Common
import Hummingbird

/// A signed-in user's TOTP factor: enrol, confirm, new recovery codes, disable.
///
/// Confirming and disabling change what a signin needs, so they go as a password change goes
/// (``AccountController/changePassword(_:context:)``, ``CredentialIssuer``): the other sessions end before
/// the write, the write advances the credential epoch, the revocation after it refuses every session
/// and token of the old epoch (a signin in flight that read the account before loses), and the calling
/// session goes on with a fresh pair. Every wrong password or code counts in the account's back-off.
struct SecondFactorController: UsesAuthDependencies {
    let dependencies: AuthDependencies
    let credentials: CredentialIssuer
    let factors: SecondFactorFeatures
    let cookies: SessionCookieJar

    /// On a group whose routes already require an unrevoked access token.
    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("mfa/totp/enroll", use: self.enroll)
        group.post("mfa/totp/confirm", use: self.confirm)
        group.post("mfa/recovery-codes", use: self.regenerate)
        group.delete("mfa/totp", use: self.disable)
    }

    /// A new secret, pending until confirmed; replaces a pending one. Needs the current password.
    @Sendable func enroll(_ request: Request, context: AppRequestContext) async throws -> EnrollmentResponse {
        let claims = try context.requireClaims()
        let fields = try await RequestFields.parse(request, context: context)
        guard let current = try fields.string("currentPassword"), !current.isEmpty else {
            throw APIError(.badRequest, "Failed! currentPassword is required!")
        }
        let box = try self.factors.requireBox()
        let user = try await self.account(claims)
        try await self.checkPassword(current, of: user, origin: RequestOrigin(request))
        guard !user.secondFactorEnabled else { throw SecondFactorFeatures.alreadyEnabled }
        let secret = TOTP.newSecret()
        guard try await self.factors.repository.enroll(userID: user.id, sealedSecret: try box.seal(secret)) else {
            throw SecondFactorFeatures.alreadyEnabled
        }
        context.logger.info("TOTP enrolment started", metadata: ["user_id": "\(user.id)"])
        return EnrollmentResponse(
            secret: Base32.encode(secret),
            otpauthUri: TOTP.provisioningURI(secret: secret, issuer: self.factors.issuer, account: user.username)
        )
    }

    /// Enables the pending secret with a code of it; answers the recovery codes, once, and the calling
    /// session's fresh pair (its `amr` now says `otp`).
    @Sendable func confirm(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<FactorEnabledResponse> {
        let claims = try context.requireClaims()
        let fields = try await RequestFields.parse(request, context: context)
        guard let code = try fields.string("code"), !code.isEmpty else { throw APIError(.badRequest, "Failed! code is required!") }
        let box = try self.factors.requireBox()
        let origin = RequestOrigin(request)
        var user = try await self.account(claims)
        try await self.checkThrottle(user, origin: origin, route: "mfa_confirm")
        guard !user.secondFactorEnabled else { throw SecondFactorFeatures.alreadyEnabled }
        guard let pending = try await self.factors.repository.factor(userID: user.id), !pending.confirmed,
            let secret = box.open(pending.sealedSecret)
        else { throw APIError(.badRequest, "Failed! Start with POST /api/auth/mfa/totp/enroll!") }
        guard let step = TOTP(secret: secret).matchingStep(of: code, at: self.clock.now()) else {
            try await self.wrongFactor(user, origin: origin, route: "mfa_confirm")
        }
        try await self.requireLiveSession(claims)
        let recovery = try self.factors.newRecoveryCodes()
        try await self.sessions.endOtherSessions(ofUser: user.id, keeping: claims.sid, epoch: nil)
        var epoch: Int?
        for _ in 0..<2 where epoch == nil {
            switch try await self.factors.repository.confirm(
                userID: user.id, sealedSecret: pending.sealedSecret, step: step, codeHashes: recovery.hashes, epoch: user.credentialEpoch
            ) {
            case .enabled(let new): epoch = new
            case .secretChanged: throw APIError(.badRequest, "Failed! Start with POST /api/auth/mfa/totp/enroll!")
            case .accountChanged:
                // Roles changed or sessions ended meanwhile: the code still holds for the account as it is now.
                user = try await self.account(claims)
            }
        }
        guard let epoch else { throw APIError.serviceUnavailable }
        let position = try await self.sessions.endOtherSessions(ofUser: user.id, keeping: claims.sid, epoch: epoch)
        user.credentialEpoch = epoch
        user.secondFactorEnabled = true
        guard let issued = try await self.credentials.renewSession(claims.sid, of: user, methods: .passwordAndOTP) else {
            throw APIError.unauthorized
        }
        await self.audit.record(origin.event(.mfaEnabled, userID: user.id, actorID: user.id, details: ["session": .string(claims.sid)], clock: self.clock))
        context.logger.info("TOTP enabled", metadata: ["user_id": "\(user.id)"])
        var headers = HTTPFields.revocationPosition(position)
        headers.append(contentsOf: try await self.cookies.setting(accessToken: issued.accessToken, refreshToken: issued.refreshToken, sessionID: issued.sessionID))
        let inBody = self.cookies.tokensInBodies
        return EditedResponse(headers: headers, response: FactorEnabledResponse(
            message: "Two-factor authentication enabled", recoveryCodes: recovery.codes,
            accessToken: inBody ? issued.accessToken : nil, refreshToken: inBody ? issued.refreshToken : nil
        ))
    }

    /// A new set of recovery codes for a code (or a recovery code); the old set dies.
    @Sendable func regenerate(_ request: Request, context: AppRequestContext) async throws -> RecoveryCodesResponse {
        let claims = try context.requireClaims()
        let proof = try await self.requiredProof(request, context)
        let origin = RequestOrigin(request)
        let user = try await self.account(claims)
        guard user.secondFactorEnabled else { throw SecondFactorFeatures.notEnabled }
        try await self.checkFactor(proof, of: user, origin: origin, route: "mfa_recovery_codes", logger: context)
        let recovery = try self.factors.newRecoveryCodes()
        guard try await self.factors.repository.replaceRecoveryCodes(userID: user.id, codeHashes: recovery.hashes) else {
            throw SecondFactorFeatures.notEnabled
        }
        await self.audit.record(origin.event(.recoveryCodesRegenerated, userID: user.id, actorID: user.id, details: ["with": proof.kind], clock: self.clock))
        return RecoveryCodesResponse(message: "Recovery codes regenerated", recoveryCodes: recovery.codes)
    }

    /// Removes the factor for a code (or a recovery code); other sessions end, this one goes on.
    @Sendable func disable(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<PasswordChangedResponse> {
        let claims = try context.requireClaims()
        let proof = try await self.requiredProof(request, context)
        let origin = RequestOrigin(request)
        var user = try await self.account(claims)
        guard user.secondFactorEnabled else { throw SecondFactorFeatures.notEnabled }
        try await self.checkFactor(proof, of: user, origin: origin, route: "mfa_disable", logger: context)
        try await self.requireLiveSession(claims)
        try await self.sessions.endOtherSessions(ofUser: user.id, keeping: claims.sid, epoch: nil)
        guard let epoch = try await self.factors.repository.remove(userID: user.id) else { throw SecondFactorFeatures.notEnabled }
        let position = try await self.sessions.endOtherSessions(ofUser: user.id, keeping: claims.sid, epoch: epoch)
        user.credentialEpoch = epoch
        user.secondFactorEnabled = false
        guard let issued = try await self.credentials.renewSession(claims.sid, of: user, methods: .passwordAndOTP) else {
            throw APIError.unauthorized
        }
        await self.audit.record(origin.event(.mfaDisabled, userID: user.id, actorID: user.id, details: ["with": proof.kind], clock: self.clock))
        context.logger.info("TOTP disabled", metadata: ["user_id": "\(user.id)"])
        var headers = HTTPFields.revocationPosition(position)
        headers.append(contentsOf: try await self.cookies.setting(accessToken: issued.accessToken, refreshToken: issued.refreshToken, sessionID: issued.sessionID))
        let inBody = self.cookies.tokensInBodies
        return EditedResponse(headers: headers, response: PasswordChangedResponse(
            message: "Two-factor authentication disabled",
            accessToken: inBody ? issued.accessToken : nil, refreshToken: inBody ? issued.refreshToken : nil
        ))
    }

    // MARK: Checks shared by the routes

    private func account(_ claims: AccessTokenClaims) async throws -> UserRecord {
        guard let user = try await self.users.find(id: claims.id), !user.disabled else { throw APIError.unauthorized }
        return user
    }

    private func requiredProof(_ request: Request, _ context: AppRequestContext) async throws -> SecondFactorFeatures.Proof {
        guard let proof = try SecondFactorFeatures.proof(in: try await RequestFields.parse(request, context: context)) else {
            throw APIError(.badRequest, "Failed! code or recoveryCode is required!")
        }
        return proof
    }

    /// A session that cannot go on (ended meanwhile) changes nothing.
    private func requireLiveSession(_ claims: AccessTokenClaims) async throws {
        guard try await self.sessions.liveSessions(ofUser: claims.id).contains(where: { $0.id == claims.sid }) else {
            throw APIError.unauthorized
        }
    }

    private func checkThrottle(_ user: UserRecord, origin: RequestOrigin, route: String) async throws {
        if let wait = try await self.throttle.lockedFor(username: user.username) {
            AuthMetrics.rateLimited("password_account")
            await self.audit.record(origin.event(.signinFailed, userID: user.id, details: ["reason": "throttled", "route": .string(route)], clock: self.clock))
            throw APIError.tooManyRequests(retryAfter: wait)
        }
    }

    private func checkPassword(_ password: String, of user: UserRecord, origin: RequestOrigin) async throws {
        try await self.checkThrottle(user, origin: origin, route: "mfa_enroll")
        guard password.utf8.count <= SignupRequest.maximumPasswordBytes,
            try await self.passwords.verify(password, against: user.passwordHash).matches
        else {
            try await self.throttle.recordFailure(username: user.username)
            await self.audit.record(origin.event(.signinFailed, userID: user.id, details: ["reason": "wrong_password", "route": "mfa_enroll"], clock: self.clock))
            throw AccountController.wrongPassword
        }
        try await self.throttle.recordSuccess(username: user.username)
    }

    private func checkFactor(_ proof: SecondFactorFeatures.Proof, of user: UserRecord, origin: RequestOrigin, route: String, logger context: AppRequestContext) async throws {
        try await self.checkThrottle(user, origin: origin, route: route)
        guard try await self.factors.check(proof, userID: user.id, logger: context.logger) else {
            try await self.wrongFactor(user, origin: origin, route: route)
        }
    }

    private func wrongFactor(_ user: UserRecord, origin: RequestOrigin, route: String) async throws -> Never {
        try await self.throttle.recordFailure(username: user.username)
        await self.audit.record(origin.event(.signinFailed, userID: user.id, details: ["reason": "wrong_code", "route": .string(route)], clock: self.clock))
        throw SecondFactorFeatures.invalidCode
    }
}

/// `POST /api/auth/mfa/totp/enroll`.
struct EnrollmentResponse: ResponseEncodable {
    var secret: String
    var otpauthUri: String
}

/// `POST /api/auth/mfa/totp/confirm`: the codes, shown once, and the session's fresh pair.
struct FactorEnabledResponse: ResponseEncodable {
    var message: String
    var recoveryCodes: [String]
    var accessToken: String?
    var refreshToken: String?
}

/// `POST /api/auth/mfa/recovery-codes`.
struct RecoveryCodesResponse: ResponseEncodable {
    var message: String
    var recoveryCodes: [String]
}
