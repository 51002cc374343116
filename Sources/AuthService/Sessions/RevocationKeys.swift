import Common

/// The Redis keys of the shared revocation record. Keyed on claims (`jti`, `sid`, `sub`), never on a
/// token's bytes, so any copy of a revoked token is refused.
enum RevocationKeys {
    /// Present while an access token (by `jti`) is revoked; expires with the token.
    static func token(_ jti: String) -> String { "deny:jti:" + jti }
    /// Present while a session (by `sid`) is revoked: its refresh tokens and access tokens die.
    static func session(_ sid: String) -> String { "deny:sid:" + sid }
    /// A user's session cut-off (Unix seconds): sessions started before it are refused.
    static func userCutoff(_ userID: String) -> String { "cutoff:user:" + userID }
    /// A user's access-token cut-off (Unix milliseconds): access tokens issued before it are refused.
    static func tokenCutoff(_ userID: String) -> String { "cutoff:tokens:" + userID }
    /// The mirror of a user's credential epoch (`users."credentialEpoch"`) in `epoch`'s lineage: the
    /// highest value PostgreSQL is known to have committed. A session is opened, and a token issued,
    /// only under an epoch at least this high (``CredentialIssuer``).
    static func userEpoch(_ userID: String, epoch: Int) -> String { "epoch:user:" + CredentialEpoch.scope(userID: userID, epoch: epoch) }
    /// The set of a user's live session ids, so that all of them can be revoked at once.
    static func userSessions(_ userID: String) -> String { "user:sessions:" + userID }
}
