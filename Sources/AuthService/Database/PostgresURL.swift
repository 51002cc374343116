import Common
import Foundation
import PostgresNIO

extension PostgresClient.Configuration {
    /// Reads `postgres://user:password@host:port/database[?sslmode=disable|require]`.
    init(url: String) throws {
        guard let components = URLComponents(string: url),
            components.scheme == "postgres" || components.scheme == "postgresql",
            let host = components.host, !host.isEmpty,
            let username = components.user?.removingPercentEncoding
        else {
            throw ConfigurationError(message: "DATABASE_URL must look like postgres://user:password@host:port/database")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        let sslMode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "disable"
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case "disable": tls = .disable
        case "prefer", "allow": tls = .prefer(.clientDefault)
        default: tls = .require(.clientDefault)
        }
        self.init(
            host: host,
            port: components.port ?? 5432,
            username: username,
            password: components.password?.removingPercentEncoding,
            database: database.isEmpty ? username : database,
            tls: tls
        )
    }
}
