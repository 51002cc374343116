import Common
import Configuration
import Logging

/// The auth service: signup, signin, refresh-token rotation and the public JWKS.
@main
struct App {
    static func main() async throws {
        let config = try await ConfigReader.fromEnvironment()
        var logger = Logger(label: "auth-service")
        logger.logLevel = config.logLevel()
        do {
            let configuration = try AuthConfiguration(config: config)
            let app = try await buildApplication(configuration: configuration, logger: logger)
            try await app.runService()
        } catch {
            exitForStartupFailure(error, logger: logger)
        }
    }
}
