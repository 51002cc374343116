import Common

/// The one way a session comes into being and an access token is handed out: signin, refresh (its
/// grace and unused-successor replays included), the caller's new pair after a password change, and
/// whatever route comes later (a reset by mail, a second factor) must go through here, because only
/// here is a ``SessionGrant`` made, and ``AccessTokenIssuer`` signs nothing else.
///
/// Each is issued under the account state it was checked against, named by the account's credential
/// epoch (`users."credentialEpoch"`). Every change of what a session or token rests on advances the
/// epoch in the same statement as the change: a password change, a reset by mail (in the statement that
/// spends its token, ``MailController``), a disable, a role change, a delete, an admin ending all
/// sessions, a global signout. Redis keeps a mirror of it per user
/// (`epoch:user:<id>:<lineage>`, ``CredentialEpoch``), raised only to values PostgreSQL has committed;
/// the scripts that open a session, rotate a refresh token or renew one refuse, writing nothing, when
/// the epoch they are given is below the mirror. After its commit, a change runs its revocation
/// script R, which raises the mirror to the new epoch N+1, ends the sessions the change ends, and
/// appends N+1 to the revocation stream as the user's floor: every access token of a lower epoch is
/// refused, by the gateway that carries the change before it answers, and by every other within the
/// revocation lag. The mirror is kept for an access token's lifetime past R
/// (``SessionPolicy/epochRetention``), far longer than any request runs.
///
/// Why no interleaving lets a session or token of the old state outlive the change: take an issuance
/// that read the account before the change committed, at epoch N. Redis runs scripts one at a time, so
/// its script ran either after R or before it.
/// - After R: the mirror is N+1 > N and the script refuses. The password check in between (argon2,
///   20 ms or 20 s) does not matter; only the order of the two scripts does.
/// - Before R: the session it opened or continued is in the user's session set, which R ends (for the
///   changes that end sessions; a password change keeps the caller's, whose live refresh token its
///   renewal then replaces), and the access token it signs carries epoch N, below R's floor. A role
///   change ends no session: the refresh token lives on, and its next refresh reads the new roles.
/// An issuance that read the account after the commit reads epoch N+1 or later and the new state: it
/// is not of the old state. Revocations a change runs before its commit (so that a failure leaves
/// sessions ended rather than alive) never touch the mirror, and readers raise it only to what they
/// read, so a change that fails never locks the account out.
struct CredentialIssuer: Sendable {
    let users: any UserRepository
    let sessions: any SessionStore
    private let accessTokens: AccessTokenIssuer

    init(users: any UserRepository, sessions: any SessionStore, accessTokens: AccessTokenIssuer) {
        self.users = users
        self.sessions = sessions
        self.accessTokens = accessTokens
    }

    /// A new session and its first pair for `account`, whose credentials the caller has just checked
    /// as read; `nil` when the account changed since it was read (the caller refuses, as it refuses
    /// wrong credentials).
    func openSession(for account: UserRecord, client: ClientDetails) async throws -> IssuedCredentials? {
        guard let session = try await self.sessions.open(userID: account.id, epoch: account.credentialEpoch, client: client) else {
            return nil
        }
        let accessToken = try await self.accessTokens.issue(SessionGrant(account, sessionID: session.sessionID))
        return IssuedCredentials(sessionID: session.sessionID, accessToken: accessToken, refreshToken: session.token)
    }

    /// Rotates `token` for the account as it is now. When the account changes between the read and the
    /// rotation, nothing is spent and the account is read once more; a second change in that moment is
    /// ``RotationOutcome/accountChanged``, which the caller answers as the store being in doubt.
    func refresh(_ token: String) async throws -> RefreshResult {
        var outcome = RotationOutcome.accountChanged
        for _ in 0..<2 {
            // Roles and the epoch are read anew: a refresh carries what the account is now.
            guard let owner = try await self.sessions.owner(of: token), let account = try await self.users.find(id: owner.userID) else {
                return .unknownToken
            }
            // Their sessions were ended when the account was disabled; this holds even for one that was not.
            guard !account.disabled else { return .accountDisabled }
            let accessToken = try await self.accessTokens.issue(SessionGrant(account, sessionID: owner.sessionID))
            let epoch = account.credentialEpoch
            outcome = try await self.sessions.rotate(token, epoch: epoch) { successor in
                try SuccessorSeal.seal(SuccessorPair(accessToken: accessToken, refreshToken: successor, epoch: epoch), under: token)
            }
            switch outcome {
            case .accountChanged:
                continue
            case .rotated(let successor):
                return .issued(SuccessorPair(accessToken: accessToken, refreshToken: successor, epoch: epoch), outcome)
            case .replayedWithinGrace(let sealed):
                // Another tab (or a lost response) rotated it a moment ago: the same pair, unless the
                // account changed since, whose floor refuses that access token: then a fresh one.
                let pair = try SuccessorSeal.open(sealed, under: token)
                return pair.epoch == epoch
                    ? .issued(pair, outcome) : .issued(SuccessorPair(accessToken: accessToken, refreshToken: pair.refreshToken), outcome)
            case .replayedUnusedSuccessor(let successor):
                // The client kept its old token (or lost the answer): the same successor, a fresh access token.
                return .issued(SuccessorPair(accessToken: accessToken, refreshToken: successor), outcome)
            case .unknown, .expired, .revoked, .reused:
                return .refused(outcome)
            }
        }
        return .refused(outcome)
    }

    /// The caller's own session goes on after a change it made itself and PostgreSQL committed (a
    /// password change): its live refresh token is replaced and a pair issued under `account`, read or
    /// written at its new epoch; `nil` when the session has ended or a later change moved the epoch on.
    func renewSession(_ sessionID: String, of account: UserRecord) async throws -> IssuedCredentials? {
        guard
            let renewed = try await self.sessions.renewRefreshToken(ofSession: sessionID, userID: account.id, epoch: account.credentialEpoch)
        else { return nil }
        let accessToken = try await self.accessTokens.issue(SessionGrant(account, sessionID: sessionID))
        return IssuedCredentials(sessionID: sessionID, accessToken: accessToken, refreshToken: renewed.token)
    }
}

/// What an access token may say: the account as a ``CredentialIssuer`` checked it, in one session.
/// Only that type can make one, so ``AccessTokenIssuer/issue(_:)`` signs nothing else.
struct SessionGrant: Sendable {
    let userID: Int
    let roles: [Role]
    let epoch: Int
    let sessionID: String

    fileprivate init(_ account: UserRecord, sessionID: String) {
        self.userID = account.id
        self.roles = account.roles
        self.epoch = account.credentialEpoch
        self.sessionID = sessionID
    }
}

/// A session's id with the pair handed to its client.
struct IssuedCredentials: Sendable, Equatable {
    var sessionID: String
    var accessToken: String
    var refreshToken: String
}

/// What a refresh came to.
enum RefreshResult: Sendable, Equatable {
    /// A pair to hand out, and how the store got there (for the metrics).
    case issued(SuccessorPair, RotationOutcome)
    /// Not a refresh token of an existing account.
    case unknownToken
    case accountDisabled
    /// The store refused the token (unknown, expired, revoked, reused), or the account kept changing.
    case refused(RotationOutcome)
}
