/// A user's TOTP factor as stored.
struct StoredFactor: Sendable, Equatable {
    /// Sealed by ``SecretBox``.
    var sealedSecret: String
    var confirmed: Bool
    /// The last step whose code was accepted (-1: none).
    var lastStep: Int64
}

/// What `/api/auth/me` and the admin's views say of a factor.
struct FactorStatus: Sendable, Equatable {
    var totp: Bool
    var recoveryCodesLeft: Int
}

/// What became of confirming a factor.
enum FactorConfirmation: Sendable, Equatable {
    /// Enabled, with the account's new credential epoch.
    case enabled(epoch: Int)
    /// The pending secret is not the one checked (a later enroll replaced it, or it is enabled already).
    case secretChanged
    /// The account's epoch moved since it was read (roles changed, sessions ended): read it again.
    case accountChanged
}

/// TOTP factors and recovery codes. Every write is one statement under a deadline; every change that
/// enables or removes a factor advances the account's credential epoch in the same statement
/// (``CredentialIssuer``), so that a signin that read the account before it cannot open a session after.
protocol SecondFactorRepository: Sendable {
    func factor(userID: Int) async throws -> StoredFactor?
    func status(userID: Int) async throws -> FactorStatus
    /// Stores a new unconfirmed secret, replacing an unconfirmed one; false when a confirmed factor exists.
    func enroll(userID: Int, sealedSecret: String) async throws -> Bool
    /// Confirms the pending secret `sealedSecret` with a code of `step`, stores the recovery codes
    /// `codeHashes` (replacing any), and advances the epoch, only while it is still `epoch`.
    func confirm(userID: Int, sealedSecret: String, step: Int64, codeHashes: [String], epoch: Int) async throws -> FactorConfirmation
    /// Records `step` as used, only when it is later than the last one used; false for a replay.
    /// `resealed` replaces the stored secret (sealed again under the current key).
    func useStep(_ step: Int64, userID: Int, resealed: String?) async throws -> Bool
    /// Spends one recovery code of a confirmed factor; false when it is unknown or spent.
    func useRecoveryCode(hash: String, userID: Int) async throws -> Bool
    /// Replaces every recovery code of a confirmed factor; false without one.
    func replaceRecoveryCodes(userID: Int, codeHashes: [String]) async throws -> Bool
    /// Removes the factor and its codes and advances the epoch; the new epoch, `nil` when there was none.
    func remove(userID: Int) async throws -> Int?
    /// Whether any factor is stored (the service then refuses to start without its key).
    func anyFactorStored() async throws -> Bool
}
