import Common
import NIOCore

/// One event loop's copy of the revocation record: revoked token ids, revoked sessions, per-user
/// cut-offs in time and per-user floors of the credential epoch (per lineage, ``CredentialEpoch``), as
/// far as they can still match a valid access token. Fed by ``RevocationFeed``; asked on every
/// protected request, synchronously.
final class RevocationView {
    private var tokens: [String: Int64] = [:]
    private var sessions: [String: Int64] = [:]
    private var userCutoffs: [String: (cutoff: Int64, forget: Int64)] = [:]
    private var epochFloors: [EpochScope: (epoch: Int, forget: Int64)] = [:]
    /// The last stream entry applied.
    private(set) var position = StreamID.zero
    /// When the feed last heard from Redis; `nil` until the record was first loaded.
    private var lastHeard: NIODeadline?
    private var waiters: [(position: StreamID, resume: () -> Void)] = []
    private let maxLag: TimeAmount

    init(maxLag: TimeAmount) {
        self.maxLag = maxLag
    }

    var count: Int { self.tokens.count + self.sessions.count + self.userCutoffs.count + self.epochFloors.count }

    /// Whether the copy is known to be current: loaded, and the feed heard from Redis within the
    /// bound. Protected routes are refused (503) otherwise.
    func isCurrent(now: NIODeadline) -> Bool {
        guard let lastHeard = self.lastHeard else { return false }
        return now - lastHeard <= self.maxLag
    }

    func isRevoked(_ claims: AccessTokenClaims) -> Bool {
        let floor = self.epochFloors.isEmpty ? nil : claims.epoch.flatMap { epoch in
            self.epochFloors[EpochScope(user: claims.sub, lineage: CredentialEpoch.lineage(of: epoch))]?.epoch
        }
        return claims.isRevoked(by: RevocationFacts(
            tokenDenylisted: self.tokens[claims.jti] != nil,
            sessionDenylisted: self.sessions[claims.sid] != nil,
            userCutoffMilliseconds: self.userCutoffs[claims.sub]?.cutoff,
            epochFloor: floor
        ))
    }

    /// Replaces everything with a full load of the stream.
    func replace(with entries: [(StreamID, RevocationEntry?)], heardAt: NIODeadline) {
        self.tokens.removeAll(keepingCapacity: true)
        self.sessions.removeAll(keepingCapacity: true)
        self.userCutoffs.removeAll(keepingCapacity: true)
        self.epochFloors.removeAll(keepingCapacity: true)
        self.position = .zero
        self.apply(entries, heardAt: heardAt)
    }

    /// Adds entries read after ``position``, in stream order.
    func apply(_ entries: [(StreamID, RevocationEntry?)], heardAt: NIODeadline) {
        for (id, entry) in entries where id > self.position {
            self.position = id
            guard let entry else { continue }
            switch entry.kind {
            case .token:
                self.tokens[entry.subject] = entry.forget
            case .session:
                self.sessions[entry.subject] = entry.forget
            case .user:
                // Each only ever moves forward, whatever order two changes' entries arrive in.
                let current = self.userCutoffs[entry.subject]
                if current == nil || current!.cutoff < entry.cutoff {
                    self.userCutoffs[entry.subject] = (entry.cutoff, entry.forget)
                }
                if entry.epoch > 0 {
                    let scope = EpochScope(user: entry.subject, lineage: CredentialEpoch.lineage(of: entry.epoch))
                    if (self.epochFloors[scope]?.epoch ?? Int.min) < entry.epoch {
                        self.epochFloors[scope] = (entry.epoch, entry.forget)
                    }
                }
            }
        }
        self.heard(at: heardAt)
        self.resumeWaiters()
    }

    /// The feed's heartbeat: Redis answered, nothing new.
    func heard(at deadline: NIODeadline) {
        self.lastHeard = deadline
    }

    /// Drops what can no longer match a valid access token.
    func forget(before unixMilliseconds: Int64) {
        self.tokens = self.tokens.filter { $0.value > unixMilliseconds }
        self.sessions = self.sessions.filter { $0.value > unixMilliseconds }
        self.userCutoffs = self.userCutoffs.filter { $0.value.forget > unixMilliseconds }
        self.epochFloors = self.epochFloors.filter { $0.value.forget > unixMilliseconds }
    }

    /// Calls `resume` once the copy has applied `position` (at once when it has), or after `timeout`
    /// on `loop`: the gateway that carried a revocation answers only once it enforces it.
    func whenApplied(_ position: StreamID, timeout: TimeAmount, on loop: any EventLoop, _ resume: @escaping () -> Void) {
        if self.position >= position {
            resume()
            return
        }
        var resumed = false
        let once = {
            guard !resumed else { return }
            resumed = true
            resume()
        }
        self.waiters.append((position, once))
        loop.assumeIsolated().scheduleTask(in: timeout) { once() }
    }

    /// Whose epochs a floor compares with: one user id's, of one lineage.
    private struct EpochScope: Hashable {
        var user: String
        var lineage: Int
    }

    private func resumeWaiters() {
        guard !self.waiters.isEmpty else { return }
        var remaining: [(position: StreamID, resume: () -> Void)] = []
        for waiter in self.waiters {
            if waiter.position <= self.position { waiter.resume() } else { remaining.append(waiter) }
        }
        self.waiters = remaining
    }
}
