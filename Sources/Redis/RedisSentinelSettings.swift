/// The Sentinels that name the current master (`REDIS_SENTINELS=host:port,...`), which master
/// (`REDIS_SENTINEL_MASTER`) and the Sentinels' own credentials, when they have any
/// (`REDIS_SENTINEL_USERNAME`, `REDIS_SENTINEL_PASSWORD`). Sentinels are reached over TLS when the
/// Redis URL is `rediss://`, verified like the master.
package struct RedisSentinelSettings: Sendable, Equatable {
    package struct Address: Sendable, Equatable, CustomStringConvertible {
        package var host: String
        package var port: Int

        package init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        package var description: String { self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)" }
    }

    package var sentinels: [Address]
    package var masterName: String
    package var username: String?
    package var password: String?

    package init(sentinels: [Address], masterName: String, username: String? = nil, password: String? = nil) {
        self.sentinels = sentinels
        self.masterName = masterName
        self.username = username.flatMap { $0.isEmpty ? nil : $0 }
        self.password = password.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Reads `host:port,host:port,...` (`[v6]:port` for IPv6; the port defaults to 26379); `nil` when
    /// `list` names no Sentinel.
    package init?(list: String, masterName: String?, username: String? = nil, password: String? = nil) throws {
        let entries = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !entries.isEmpty else {
            if masterName?.isEmpty == false { throw RedisError(.invalidURL, "REDIS_SENTINEL_MASTER needs REDIS_SENTINELS") }
            return nil
        }
        guard let masterName, !masterName.isEmpty else {
            throw RedisError(.invalidURL, "REDIS_SENTINELS needs REDIS_SENTINEL_MASTER, the name the Sentinels monitor the master under")
        }
        self.init(sentinels: try entries.map(Self.address), masterName: masterName, username: username, password: password)
    }

    private static func address(_ entry: String) throws -> Address {
        var host = Substring(entry)
        var port = 26379
        if entry.hasPrefix("[") {
            guard let close = entry.firstIndex(of: "]") else { throw RedisError(.invalidURL, "bad Sentinel address \(entry)") }
            host = entry[entry.index(after: entry.startIndex)..<close]
            let rest = entry[entry.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":"), let number = Int(rest.dropFirst()) else { throw RedisError(.invalidURL, "bad Sentinel address \(entry)") }
                port = number
            }
        } else if let colon = entry.lastIndex(of: ":") {
            host = entry[..<colon]
            guard let number = Int(entry[entry.index(after: colon)...]) else { throw RedisError(.invalidURL, "bad Sentinel address \(entry)") }
            port = number
        }
        guard !host.isEmpty, (1...65535).contains(port) else { throw RedisError(.invalidURL, "bad Sentinel address \(entry)") }
        return Address(host: String(host), port: port)
    }
}
