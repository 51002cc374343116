import Common
import Configuration
import Logging

/// The gateway: CORS, access-token verification, then a proxy to the service owning the path.
@main
struct App {
    static func main() async throws {
        let config = try await ConfigReader.fromEnvironment()
        var logger = Logger(label: "gateway")
        logger.logLevel = config.logLevel()
        do {
            let app = try await buildApplication(configuration: try GatewayConfiguration(config: config), logger: logger)
            try await app.runService()
        } catch {
            exitForStartupFailure(error, logger: logger)
        }
    }
}
