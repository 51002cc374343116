/// A credential epoch as the auth service writes it (`users."credentialEpoch"`, the access token's
/// `epoch` claim, a `uid` revocation entry's `e`): the account's lineage, drawn at random when the
/// account is created, in the bits above the lowest ``counterBits``, and a count of the changes made
/// to it below. Every change adds one, so within a lineage a higher epoch is a later state.
///
/// Epochs compare only within one lineage. Two accounts that share a user id (two databases on one
/// Redis, as the test systems run; a database restored or re-created) each draw their own lineage, so
/// a change to one never refuses the other's sessions or tokens: the Redis mirror and the gateway's
/// floors are kept per user id and lineage.
package enum CredentialEpoch {
    /// 2^20 changes per lineage; the lineage has 33 bits, so an epoch stays below 2^53 and survives
    /// any JSON parser as an exact integer.
    package static let counterBits = 20

    /// The lineage part of `epoch`.
    package static func lineage(of epoch: Int) -> Int {
        epoch >> self.counterBits
    }

    /// The key a user's epoch state is kept under for `epoch`'s lineage: `<user id>:<lineage>`.
    package static func scope(userID: String, epoch: Int) -> String {
        userID + ":" + String(self.lineage(of: epoch))
    }
}
