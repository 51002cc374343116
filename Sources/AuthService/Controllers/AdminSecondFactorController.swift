import Common
import Hummingbird

/// An admin removes a user's second factor: the way back for a user who lost both the phone and the
/// recovery codes. Every session of the user ends (before the write, and after it under the epoch the
/// removal advanced); audited; the user gets a notice when mail is configured.
struct AdminSecondFactorController: UsesAuthDependencies {
    let dependencies: AuthDependencies
    let factors: SecondFactorFeatures
    var mail: MailFeatures? = nil

    /// On a group whose routes already require an unrevoked admin's token.
    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.delete("users/:id/mfa", use: self.remove)
    }

    @Sendable func remove(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<MessageResponse> {
        let claims = try context.requireClaims()
        let id = try RequestParameters.userID(context)
        guard let user = try await self.users.summary(id: id) else { throw AccountController.userNotFound }
        guard user.secondFactor.totp else { throw SecondFactorFeatures.notEnabled }
        try await self.sessions.revokeAllSessions(userID: id, epoch: nil)
        guard let epoch = try await self.factors.repository.remove(userID: id) else { throw SecondFactorFeatures.notEnabled }
        let position = try await self.sessions.revokeAllSessions(userID: id, epoch: epoch)
        await self.audit.record(RequestOrigin(request).event(.mfaDisabled, userID: id, actorID: claims.id, details: ["by": "admin"], clock: self.clock))
        context.logger.notice("Second factor removed by an admin", metadata: ["user_id": "\(id)", "actor_id": "\(claims.id)"])
        if let mail = self.mail, await !mail.notice(.secondFactorRemoved, userID: id) {
            context.logger.error("Second factor removal notice not queued", metadata: ["user_id": "\(id)"])
        }
        return EditedResponse(headers: .revocationPosition(position), response: MessageResponse(message: "Two-factor authentication removed"))
    }
}
