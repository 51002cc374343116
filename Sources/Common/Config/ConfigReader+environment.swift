import Configuration
import Foundation
import Logging

extension ConfigReader {
    /// The process environment first, then an optional `.env` file in the working directory.
    /// Key `database.url` reads `DATABASE_URL`.
    package static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> ConfigReader {
        let secrets = SecretsSpecifier<String, String>.specific([
            "DATABASE_URL", "REDIS_URL", "REDIS_SENTINEL_PASSWORD", "BOOTSTRAP_ADMIN_PASSWORD", "SMTP_URL",
        ])
        let dotEnv = try await EnvironmentVariablesProvider(
            environmentFilePath: ".env",
            allowMissing: true,
            secretsSpecifier: secrets
        )
        return ConfigReader(providers: [
            EnvironmentVariablesProvider(environmentVariables: environment, secretsSpecifier: secrets),
            dotEnv,
        ])
    }

    /// A positive integer (seconds, bytes, counts), or the default; a bad value is a start-up
    /// error, not a silent default.
    package func positiveInt(forKey key: ConfigKey, default defaultValue: Int) throws -> Int {
        let value = self.int(forKey: key, default: defaultValue)
        guard value > 0 else {
            throw ConfigurationError(message: "\(key) must be a positive number")
        }
        return value
    }

    /// A positive duration in seconds (fractions allowed), or the default.
    package func positiveSeconds(forKey key: ConfigKey, default defaultValue: Double) throws -> Double {
        let value = self.double(forKey: key, default: defaultValue)
        guard value > 0, value.isFinite else {
            throw ConfigurationError(message: "\(key) must be a positive number of seconds")
        }
        return value
    }

    package func logLevel() -> Logger.Level {
        Logger.Level(rawValue: self.string(forKey: "log.level", default: "info").lowercased()) ?? .info
    }
}

/// A configuration value that makes no sense; the service refuses to start and says which.
package struct ConfigurationError: Error, CustomStringConvertible {
    package let message: String
    package init(message: String) { self.message = message }
    package var description: String { "Configuration error: \(self.message)" }
}
