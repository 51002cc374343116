import Common
import Configuration
import Logging

/// The gateway: CORS, access-token and revocation checks, then a proxy to the service owning the path.
@main
struct App {
    static func main() async throws {
        let config = try await ConfigReader.fromEnvironment()
        LoggingSetup.bootstrap(format: config.string(forKey: "log.format", default: "text"), level: config.logLevel())
        let logger = Logger(label: "gateway")
        let metrics = MetricsEndpoint.bootstrap()
        do {
            let traces = try TraceExport.bootstrap(serviceName: "gateway", logger: logger, decidesSampling: true)
            let app = try await buildApplication(configuration: try GatewayConfiguration(config: config), logger: logger, metrics: metrics, traces: traces)
            try await app.runService()
        } catch {
            exitForStartupFailure(error, logger: logger)
        }
    }
}
