import Common
import Configuration

/// Everything the content service reads from the environment.
struct ContentConfiguration: Sendable {
    var address: ListenAddress
    var tokens: TokenSettings
    var jwksURL: String
    var metricsAddress: ListenAddress
    /// How often the JWKS is fetched again, seconds (`JWKS_REFRESH_INTERVAL`).
    var jwksRefreshInterval: Double = 300
    var logFormat: LogFormat = .text
    /// One line per request at `LOG_LEVEL=info` and below.
    var logsRequests = true

    init(address: ListenAddress, tokens: TokenSettings, jwksURL: String, metricsAddress: ListenAddress) {
        self.address = address
        self.tokens = tokens
        self.jwksURL = jwksURL
        self.metricsAddress = metricsAddress
    }

    init(config: ConfigReader) throws {
        self.init(
            address: try ListenAddress(config: config.scoped(to: "content"), defaultPort: 8083),
            tokens: TokenSettings(config: config),
            jwksURL: Common.jwksURL(config: config),
            metricsAddress: try MetricsEndpoint.address(config: config.scoped(to: "content"), defaultPort: 9093)
        )
        self.jwksRefreshInterval = try config.positiveSeconds(forKey: "jwks.refresh.interval", default: 300)
        self.logFormat = LogFormat(config.string(forKey: "log.format", default: "text"))
        self.logsRequests = config.logLevel() <= .info
    }
}
