import Common
import Logging

/// What the second-factor routes need: the stored factors, the key that seals their secrets (`nil`
/// without `MFA_ENCRYPTION_KEY_FILE`: nobody can enrol, and no factor can be stored), the pending
/// signins, and the name authenticator apps show.
struct SecondFactorFeatures: Sendable {
    var repository: any SecondFactorRepository
    var box: SecretBox?
    var pending: PendingSignins
    /// `MFA_ISSUER`: the issuer of the `otpauth://` URI.
    var issuer: String
    var clock: any WallClock
    /// `MFA_REQUIRED_ROLES`.
    var requiredRoles: Set<String> = []

    /// Whether `claims` hold a role that requires a second factor their session never proved.
    func lacksRequiredFactor(_ claims: AccessTokenClaims) -> Bool {
        !claims.hasSecondFactor && claims.roles.contains(where: self.requiredRoles.contains)
    }

    static let required = APIError(.forbidden, "Two-factor authentication required")

    /// A code or a recovery code, as a request gave it.
    enum Proof: Sendable {
        case code(String)
        case recoveryCode(String)
    }

    static let invalidCode = APIError(.unauthorized, "Invalid authentication code")
    static let codeRequired = APIError(.unauthorized, "Two-factor authentication code required")
    /// Fails closed without the sealing key (the harness allows no other 503); the operator reads why in the log.
    static let notConfigured = APIError.serviceUnavailable
    static let notEnabled = APIError(.badRequest, "Two-factor authentication is not enabled")
    static let alreadyEnabled = APIError(.badRequest, "Two-factor authentication is already enabled")

    /// The request's `code` or `recoveryCode` (exactly one); `nil` when it has neither.
    static func proof(in fields: RequestFields) throws -> Proof? {
        let code = try fields.string("code").flatMap { $0.isEmpty ? nil : $0 }
        let recovery = try fields.string("recoveryCode").flatMap { $0.isEmpty ? nil : $0 }
        switch (code, recovery) {
        case (let code?, nil): return .code(code)
        case (nil, let recovery?): return .recoveryCode(recovery)
        case (nil, nil): return nil
        default: throw APIError(.badRequest, "Failed! Give either code or recoveryCode, not both!")
        }
    }

    func requireBox() throws -> SecretBox {
        guard let box = self.box else { throw Self.notConfigured }
        return box
    }

    /// Whether `proof` is a valid second factor of the user's confirmed factor, spending it when it is:
    /// the code's time step (no code is accepted twice, nor one older than the last accepted) or the
    /// recovery code. A code is accepted one step either side of now.
    func check(_ proof: Proof, userID: Int, logger: Logger) async throws -> Bool {
        let box = try self.requireBox()
        switch proof {
        case .code(let code):
            guard let factor = try await self.repository.factor(userID: userID), factor.confirmed else { return false }
            guard let secret = box.open(factor.sealedSecret) else {
                logger.error("A TOTP secret cannot be opened: its key is missing from MFA_ENCRYPTION_KEY_FILE and MFA_ENCRYPTION_PREVIOUS_KEY_FILES", metadata: ["user_id": "\(userID)"])
                throw Self.notConfigured
            }
            guard let step = TOTP(secret: secret).matchingStep(of: code, at: self.clock.now()), step > factor.lastStep else { return false }
            let resealed = box.isStale(factor.sealedSecret) ? try box.seal(secret) : nil
            return try await self.repository.useStep(step, userID: userID, resealed: resealed)
        case .recoveryCode(let typed):
            guard let normalised = RecoveryCodes.normalise(typed) else { return false }
            return try await self.repository.useRecoveryCode(hash: box.recoveryCodeHash(normalised), userID: userID)
        }
    }

    /// New recovery codes and their stored hashes.
    func newRecoveryCodes() throws -> (codes: [String], hashes: [String]) {
        let box = try self.requireBox()
        let codes = RecoveryCodes.generate()
        return (codes, codes.map { box.recoveryCodeHash(RecoveryCodes.normalise($0)!) })
    }
}

extension SecondFactorFeatures.Proof {
    /// For the audit trail: which kind was used, never the value.
    var kind: JSONValue {
        switch self {
        case .code: "totp"
        case .recoveryCode: "recovery_code"
        }
    }
}
