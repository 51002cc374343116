import Foundation

/// Where Redis is, parsed from a `redis://` or `rediss://` (TLS) URL,
/// `[[user]:password@]host[:port][/db]`, and how far a write must travel before it counts.
///
/// With ``sentinel`` set, the URL's host and port are not used: the master is whichever node the
/// Sentinels name, and the URL gives what every connection to it needs (TLS, user, password, db).
package struct RedisConfiguration: Sendable, CustomStringConvertible {
    package var host: String
    package var port: Int
    package var username: String?
    package var password: String?
    package var database: Int
    /// Set for `rediss://`: the server's certificate is verified (and a client certificate shown).
    package var tls: RedisTLS?
    /// Set when Sentinels name the master (`REDIS_SENTINELS`, `REDIS_SENTINEL_MASTER`).
    package var sentinel: RedisSentinelSettings?
    /// How many replicas must have a write that must not be lost (``RedisClient/evalDurably(_:keys:arguments:)``).
    package var durability: RedisDurability
    /// Connections kept open; each one pipelines any number of concurrent commands.
    package var connectionCount: Int
    package var connectTimeout: Duration
    package var commandTimeout: Duration

    package init(
        url: String,
        tlsFiles: RedisTLSFiles = RedisTLSFiles(),
        sentinel: RedisSentinelSettings? = nil,
        durability: RedisDurability = .none,
        connectionCount: Int = 4,
        connectTimeout: Duration = .milliseconds(500),
        commandTimeout: Duration = .seconds(1)
    ) throws {
        guard let components = URLComponents(string: url), components.scheme == "redis" || components.scheme == "rediss",
            let host = components.host, !host.isEmpty
        else {
            throw RedisError(.invalidURL, "expected redis://host:port or rediss://host:port")
        }
        self.host = host
        self.port = components.port ?? 6379
        // URLComponents decodes percent escapes: `rediss://app:p%40ss@...` gives the password `p@ss`.
        self.username = components.user.flatMap { $0.isEmpty ? nil : $0 }
        self.password = components.password
        let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        guard let database = path.isEmpty ? 0 : Int(path), database >= 0 else {
            throw RedisError(.invalidURL, "database must be a number")
        }
        self.database = database
        if components.scheme == "rediss" {
            self.tls = try RedisTLS(files: tlsFiles)
        } else if !tlsFiles.isEmpty {
            // Certificates for a connection that would not use them: a mistake worth stopping for.
            throw RedisError(.invalidURL, "REDIS_CA_FILE, REDIS_CERT_FILE and REDIS_KEY_FILE need a rediss:// URL")
        }
        self.sentinel = sentinel
        self.durability = durability
        self.connectionCount = max(connectionCount, 1)
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
    }

    /// Never prints a password: ServiceLifecycle logs services' descriptions.
    package var description: String {
        let scheme = self.tls == nil ? "redis" : "rediss"
        let place = self.sentinel.map { "master \($0.masterName) of \($0.sentinels.count) sentinels" } ?? "\(self.host):\(self.port)"
        return "RedisConfiguration(\(scheme)://\(place)/\(self.database), user: \(self.username ?? "default"), password: \(self.password == nil ? "none" : "<redacted>"))"
    }
}

/// How many replicas must acknowledge a write that must not be lost in a failover, and for how long
/// to wait for them (`WAIT numreplicas timeout`).
package struct RedisDurability: Sendable, Equatable {
    package var replicas: Int
    package var timeout: Duration

    package init(replicas: Int, timeout: Duration) {
        self.replicas = max(0, replicas)
        self.timeout = timeout
    }

    /// The write counts once the master has it (a single Redis, or a deliberate choice).
    package static let none = RedisDurability(replicas: 0, timeout: .zero)
}
