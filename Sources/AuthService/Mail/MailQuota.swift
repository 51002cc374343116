import Crypto
import Foundation
import Redis

/// How many mails one account may be sent on request per window (`MAIL_ACCOUNT_LIMIT` per
/// `MAIL_ACCOUNT_WINDOW`), counted in Redis so every replica sees the same count. Counted by address
/// (``MailQuotaKey``), so that an unknown address asked for in forgot-password is counted exactly
/// like a known one.
protocol MailQuota: Sendable {
    /// Counts one mail for `account`; `nil` when it may go, else seconds until it may.
    func take(_ account: String) async throws -> Int?
}

struct RedisMailQuota: MailQuota {
    let redis: RedisClient
    let limit: Int
    let window: Int

    func take(_ account: String) async throws -> Int? {
        let key = "mail:quota:" + SHA256.hash(data: Data(account.utf8)).prefix(16).map { String(format: "%02x", $0) }.joined()
        let reply = try await self.redis.eval(Self.script, keys: [key], arguments: [String(self.limit), String(self.window)])
        guard let values = reply.array, values.count == 2, let allowed = values[0].int, let ttl = values[1].int else {
            throw RedisError(.unexpectedReply, "mail quota")
        }
        return allowed == 1 ? nil : max(ttl, 1)
    }

    /// KEYS: the counter. ARGV: limit, window. A fixed window from the first mail.
    static let script = """
        local count = redis.call('INCR', KEYS[1])
        if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
        if count > tonumber(ARGV[1]) then return {0, redis.call('TTL', KEYS[1])} end
        return {1, 0}
        """
}

/// What a quota is counted under: the address's key, one count for forgot-password (anyone may ask)
/// and one for what the account's owner or an admin asks for (verification, address change, reset).
enum MailQuotaKey {
    static func forgot(_ emailKey: String) -> String { "forgot:" + emailKey }

    static func account(_ email: String) throws -> String { "account:" + (try EmailAddress.key(of: email)) }
}
