import Foundation

/// Where Redis is, parsed from a `redis://[[user]:password@]host[:port][/db]` URL.
package struct RedisConfiguration: Sendable, Equatable, CustomStringConvertible {
    package var host: String
    package var port: Int
    package var username: String?
    package var password: String?
    package var database: Int
    /// Connections kept open; each one pipelines any number of concurrent commands.
    package var connectionCount: Int
    package var connectTimeout: Duration
    package var commandTimeout: Duration

    package init(
        url: String,
        connectionCount: Int = 4,
        connectTimeout: Duration = .milliseconds(500),
        commandTimeout: Duration = .seconds(1)
    ) throws {
        guard let components = URLComponents(string: url), components.scheme == "redis",
            let host = components.host, !host.isEmpty
        else {
            throw RedisError(.invalidURL, "expected redis://host:port")
        }
        self.host = host
        self.port = components.port ?? 6379
        self.username = components.user.flatMap { $0.isEmpty ? nil : $0 }
        self.password = components.password
        let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        guard let database = path.isEmpty ? 0 : Int(path), database >= 0 else {
            throw RedisError(.invalidURL, "database must be a number")
        }
        self.database = database
        self.connectionCount = max(connectionCount, 1)
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
    }

    /// Never prints the password: ServiceLifecycle logs services' descriptions.
    package var description: String {
        "RedisConfiguration(\(self.host):\(self.port)/\(self.database), password: \(self.password == nil ? "none" : "<redacted>"))"
    }
}
