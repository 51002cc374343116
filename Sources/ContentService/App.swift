import Common
import Configuration
import Logging

/// The role-checked content service: `/api/test/*`.
@main
struct App {
    static func main() async throws {
        let config = try await ConfigReader.fromEnvironment()
        var logger = Logger(label: "content-service")
        logger.logLevel = config.logLevel()
        do {
            let app = try await buildApplication(configuration: ContentConfiguration(config: config), logger: logger)
            try await app.runService()
        } catch {
            exitForStartupFailure(error, logger: logger)
        }
    }
}
