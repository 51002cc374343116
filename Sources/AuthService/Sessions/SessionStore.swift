import Common

/// Lifetimes of refresh sessions.
struct SessionPolicy: Sendable, Equatable {
    /// A session ends this many seconds after its signin, however active (`REFRESH_TOKEN_TTL`).
    var absoluteLifetime: Int
    /// A refresh token unused for this long expires (`REFRESH_IDLE_TTL`).
    var idleLifetime: Int
    /// A replay of the token just rotated, within this many seconds, gets the same new pair
    /// (`REFRESH_REUSE_GRACE`).
    var reuseGrace: Int
    /// How long revocations must be remembered: the longest any token of a session can live.
    var revocationRetention: Int
    /// How long an access-token revocation matters: the access-token lifetime plus leeway (and a
    /// margin). The revocation stream keeps this much.
    var accessTokenRetention: Int = 900 + 30 + 60

    /// How long the mirror of a raised credential epoch is kept: as long as a token that a request
    /// which read the account before the change signed can live, and far longer than any request is in
    /// flight. Past that, an absent mirror refuses nothing that still matters.
    var epochRetention: Int { self.accessTokenRetention }
}

/// A freshly minted refresh token and the session it belongs to.
struct IssuedRefreshToken: Sendable, Equatable {
    var token: String
    var sessionID: String
}

/// Who a live refresh token belongs to, read before rotating it.
struct RefreshTokenOwner: Sendable, Equatable {
    var userID: Int
    var sessionID: String
}

/// The outcome of presenting a refresh token.
enum RotationOutcome: Sendable, Equatable {
    /// The token was live; it is now spent and `successor` replaces it.
    case rotated(successor: String)
    /// The token was rotated moments ago: here is the pair the first caller got (sealed).
    case replayedWithinGrace(sealedSuccessor: String)
    /// The token was spent, but its successor has never been used: the client did not keep the
    /// answer (the tutorial's refresh clients never do). The same successor again; the caller pairs
    /// it with a fresh access token. Nothing new is minted, nothing forks.
    case replayedUnusedSuccessor(successor: String)
    case unknown
    case expired
    /// The session was revoked (signout, reuse, global signout).
    case revoked
    /// The account changed after the refresh read it (its credential epoch moved): nothing was spent
    /// or minted. Read the account again and retry.
    case accountChanged
    /// The token had been spent before the grace window and its successor used since (or it is
    /// an older generation): the whole session is now revoked.
    case reused(userID: Int, sessionID: String)
}

extension RotationOutcome {
    var metricLabel: String {
        switch self {
        case .rotated: "rotated"
        case .replayedWithinGrace: "grace_replay"
        case .replayedUnusedSuccessor: "successor_replay"
        case .unknown: "unknown"
        case .expired: "expired"
        case .revoked: "revoked"
        case .accountChanged: "account_changed"
        case .reused: "reuse_detected"
        }
    }
}

/// Refresh sessions and the revocation record. Refresh tokens name their session and generation
/// (``SessionRefreshToken``) and are stored only as digests; what a session keeps does not grow with
/// its refreshes.
///
/// Every operation that opens, continues or renews a session takes the credential epoch the account
/// was read at and refuses when the user's epoch mirror is higher; every revocation an account change
/// runs after its commit takes the new epoch and raises the mirror to it. ``CredentialIssuer`` is what
/// routes use; it explains why no interleaving lets a session outlive the change.
protocol SessionStore: Sendable {
    /// Opens a session for the user, read at credential epoch `epoch`, from `client`, and returns its
    /// first refresh token; `nil` (nothing written) when the account's epoch has moved past `epoch`.
    func open(userID: Int, epoch: Int, client: ClientDetails) async throws -> IssuedRefreshToken?
    /// Who holds this token, without spending it; `nil` when it is not ours at all.
    func owner(of token: String) async throws -> RefreshTokenOwner?
    /// Spends `token` and installs its successor, which the store mints, in one atomic step, for an
    /// account read at `epoch` (``RotationOutcome/accountChanged`` when the epoch has moved past it).
    /// `seal` turns the successor into what a replay within the grace window receives (the whole new
    /// pair, sealed under `token`); it may be called more than once.
    func rotate(_ token: String, epoch: Int, sealing seal: @Sendable (_ successor: String) throws -> String) async throws -> RotationOutcome
    /// Denylists one access token until it expires. Returns the revocation stream position of the
    /// record (when there is a stream), for the gateway that carries the answer.
    @discardableResult
    func revokeAccessToken(jti: String, expiresAt: Int) async throws -> StreamID?
    /// Ends a session: its refresh tokens and every access token issued in it.
    @discardableResult
    func revokeSession(_ sessionID: String, userID: Int) async throws -> StreamID?
    /// Ends every session of the user and refuses any token issued before now; with `epoch` (a change
    /// committed under it), also any token of a lower epoch, and nothing is issued under one any more.
    @discardableResult
    func revokeAllSessions(userID: Int, epoch: Int?) async throws -> StreamID?
    /// Whether an access token was revoked (its `jti`, its session, its user's cut-off or epoch): the
    /// auth service asks this itself where a token grants something (signup of a privileged role).
    func isRevoked(_ claims: AccessTokenClaims) async throws -> Bool
    /// The user's live sessions (not ended, not expired), oldest first. Sessions opened before
    /// sessions had details are not listed.
    func liveSessions(ofUser userID: Int) async throws -> [SessionSummary]
    /// Ends one of the user's sessions, as ``revokeSession(_:userID:)`` does; `nil` when it is not one
    /// of theirs (nothing is written then).
    func endSession(_ sessionID: String, ofUser userID: Int) async throws -> EndedSession?
    /// Ends every session of the user but `sessionID`. Without `epoch` (before a password change
    /// commits) that is all; with it (after), every access token issued before now or under a lower
    /// epoch is refused too, that session's included.
    @discardableResult
    func endOtherSessions(ofUser userID: Int, keeping sessionID: String, epoch: Int?) async throws -> StreamID?
    /// Refuses every access token of the user issued before now (and with `epoch`, under a lower one),
    /// ending no session: the next refresh mints one with the roles as they are now (a role change).
    @discardableResult
    func refuseAccessTokens(ofUser userID: Int, epoch: Int?) async throws -> StreamID?
    /// Replaces the session's live refresh token with a new one (same session, same end) for an account
    /// at `epoch`; `nil` when the session is not the user's live one, or the epoch has moved past it.
    func renewRefreshToken(ofSession sessionID: String, userID: Int, epoch: Int) async throws -> IssuedRefreshToken?
    /// When the session ends however active it is (Unix seconds; its signin plus `REFRESH_TOKEN_TTL`):
    /// how long a refresh cookie may live. `nil` for a session the store does not know.
    func endOfSession(_ sessionID: String) async throws -> Int?
}

/// Where a request came from, as the gateway determined it: kept with a session and an audit event.
struct ClientDetails: Sendable, Equatable {
    /// The client address (the gateway's `X-Forwarded-For`).
    var ip: String?
    /// The `User-Agent`, truncated to ``maximumUserAgentCharacters``.
    var userAgent: String?

    static let unknown = ClientDetails(ip: nil, userAgent: nil)
    static let maximumUserAgentCharacters = 200
    /// An IPv6 address with a zone fits; anything longer is not an address.
    static let maximumIPCharacters = 64

    init(ip: String?, userAgent: String?) {
        self.ip = ip.flatMap { $0.isEmpty ? nil : String($0.prefix(Self.maximumIPCharacters)) }
        self.userAgent = userAgent.flatMap { $0.isEmpty ? nil : String($0.prefix(Self.maximumUserAgentCharacters)) }
    }
}

/// A live session as its owner sees it: never a token or a hash.
struct SessionSummary: Sendable, Equatable {
    /// The session id (`sid`).
    var id: String
    /// Unix seconds.
    var createdAt: Int
    /// Unix seconds of the signin or the last refresh.
    var lastUsedAt: Int
    var client: ClientDetails
}

/// A session that ``SessionStore/endSession(_:ofUser:)`` ended, and the revocation stream position.
struct EndedSession: Sendable, Equatable {
    var position: StreamID?
}
