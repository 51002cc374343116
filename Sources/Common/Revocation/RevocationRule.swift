/// What the revocation record says of one access token, gathered by whoever holds the record: the
/// gateway from its in-memory copy of ``RevocationStream``, the auth service from Redis.
package struct RevocationFacts: Sendable, Equatable {
    /// The token's `jti` is denylisted (signout).
    package var tokenDenylisted: Bool
    /// The token's session is (signout, refresh-token reuse, an admin ending it).
    package var sessionDenylisted: Bool
    /// Tokens of the user issued before this instant are revoked (global signout), when set.
    package var userCutoffMilliseconds: Int64?
    /// Tokens of the user under a credential epoch below this one, of the token's lineage, are
    /// revoked (an account change, ``CredentialEpoch``), when set.
    package var epochFloor: Int?

    package init(tokenDenylisted: Bool, sessionDenylisted: Bool, userCutoffMilliseconds: Int64?, epochFloor: Int?) {
        self.tokenDenylisted = tokenDenylisted
        self.sessionDenylisted = sessionDenylisted
        self.userCutoffMilliseconds = userCutoffMilliseconds
        self.epochFloor = epochFloor
    }
}

extension AccessTokenClaims {
    /// The revocation rule, written once for every holder of the record: a token is revoked when it
    /// or its session is denylisted, it was issued before its user's cut-off, or it carries an epoch
    /// below its lineage's floor. A token from before epochs has none and is judged by the rest.
    package func isRevoked(by facts: RevocationFacts) -> Bool {
        if facts.tokenDenylisted || facts.sessionDenylisted { return true }
        if let cutoff = facts.userCutoffMilliseconds, self.issuedAtMilliseconds < cutoff { return true }
        if let epoch = self.epoch, let floor = facts.epochFloor, epoch < floor { return true }
        return false
    }
}
