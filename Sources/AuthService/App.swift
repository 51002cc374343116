import Common
import Configuration
import Logging

/// The auth service: signup, signin, refresh-token rotation and the public JWKS.
@main
struct App {
    static func main() async throws {
        let config = try await ConfigReader.fromEnvironment()
        LoggingSetup.bootstrap(format: config.string(forKey: "log.format", default: "text"), level: config.logLevel())
        let logger = Logger(label: "auth-service")
        let metrics = MetricsEndpoint.bootstrap()
        do {
            let configuration = try AuthConfiguration(config: config)
            let traces = try TraceExport.bootstrap(serviceName: "auth-service", logger: logger)?.exporter
            let app = try await buildApplication(configuration: configuration, logger: logger, metrics: metrics, traces: traces)
            try await app.runService()
        } catch {
            exitForStartupFailure(error, logger: logger)
        }
    }
}
