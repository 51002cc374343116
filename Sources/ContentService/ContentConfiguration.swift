import Common
import Configuration

/// Everything the content service reads from the environment.
struct ContentConfiguration: Sendable {
    var address: ListenAddress
    var tokens: TokenSettings
    var jwksURL: String
    var metricsAddress: ListenAddress

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
    }
}
