import Common
import Configuration
import Logging

/// The role-checked content service: `/api/test/*`.
@main
struct App {
    static func main() async throws {
        let config = try await ConfigReader.fromEnvironment()
        LoggingSetup.bootstrap(format: config.string(forKey: "log.format", default: "text"), level: config.logLevel())
        let logger = Logger(label: "content-service")
        let metrics = MetricsEndpoint.bootstrap()
        do {
            let traces = try TraceExport.bootstrap(serviceName: "content-service", logger: logger)?.exporter
            let app = try await buildApplication(configuration: ContentConfiguration(config: config), logger: logger, metrics: metrics, traces: traces)
            try await app.runService()
        } catch {
            exitForStartupFailure(error, logger: logger)
        }
    }
}
