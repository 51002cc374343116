import Redis

/// A signin that passed its password and waits for its second factor: the `mfaToken`'s record.
struct PendingSignin: Sendable, Equatable {
    var userID: Int
    /// The credential epoch the password was checked at: a change to the account since refuses it.
    var epoch: Int
    /// Wrong codes so far; the token dies at ``PendingSignins/maximumAttempts``.
    var attempts: Int
}

/// `mfaToken`s in Redis, shared by every replica: `mfa:pending:<SHA-256 of the token>` holds the
/// pending signin for five minutes. A token is taken (read and deleted in one script) before its code
/// is checked, so that two requests with one token never both succeed; a wrong code puts it back with
/// one more attempt and the time it had left, until the fifth.
struct PendingSignins: Sendable {
    static let lifetime = 300
    static let maximumAttempts = 5

    let redis: RedisClient

    /// A new token for `pending`.
    func start(_ pending: PendingSignin) async throws -> String {
        let token = MailToken.new()
        try await self.redis.send("SET", Self.key(token.hash), Self.encode(pending), "EX", String(Self.lifetime))
        return token.token
    }

    /// The pending signin of a presented token, which is spent by this call; with the milliseconds it
    /// had left. `nil` for a token that is malformed, unknown, expired or already taken.
    func take(_ presented: String) async throws -> (PendingSignin, remaining: Int)? {
        guard let hash = MailToken.hash(ofPresented: presented) else { return nil }
        let reply = try await self.redis.eval(Self.takeScript, keys: [Self.key(hash)], arguments: [])
        guard let fields = reply.array, fields.count == 2, let value = fields[0].string, let remaining = fields[1].int,
            let pending = Self.decode(value)
        else { return nil }
        return (pending, remaining)
    }

    /// Puts a taken token back after a wrong code, with one more attempt, unless that was its last.
    /// Returns whether it lives on.
    func putBack(_ presented: String, _ pending: PendingSignin, remaining: Int) async throws -> Bool {
        guard let hash = MailToken.hash(ofPresented: presented) else { return false }
        var next = pending
        next.attempts += 1
        guard next.attempts < Self.maximumAttempts, remaining > 0 else { return false }
        try await self.redis.send("SET", Self.key(hash), Self.encode(next), "PX", String(remaining), "NX")
        return true
    }

    static func key(_ hash: String) -> String { "mfa:pending:" + hash }

    static func encode(_ pending: PendingSignin) -> String { "\(pending.userID) \(pending.epoch) \(pending.attempts)" }

    static func decode(_ value: String) -> PendingSignin? {
        let parts = value.split(separator: " ").compactMap { Int($0) }
        guard parts.count == 3 else { return nil }
        return PendingSignin(userID: parts[0], epoch: parts[1], attempts: parts[2])
    }

    /// KEYS: the token's record. The record and its remaining milliseconds, deleted; nil when absent.
    static let takeScript = """
        local v = redis.call('GET', KEYS[1])
        if not v then return nil end
        local t = redis.call('PTTL', KEYS[1])
        redis.call('DEL', KEYS[1])
        return {v, t}
        """
}
