import Common
import Configuration

/// Everything the content service reads from the environment.
struct ContentConfiguration: Sendable {
    var address: ListenAddress
    var tokens: TokenSettings
    var jwksURL: String

    init(address: ListenAddress, tokens: TokenSettings, jwksURL: String) {
        self.address = address
        self.tokens = tokens
        self.jwksURL = jwksURL
    }

    init(config: ConfigReader) throws {
        self.init(
            address: try ListenAddress(config: config.scoped(to: "content"), defaultPort: 8083),
            tokens: TokenSettings(config: config),
            jwksURL: Common.jwksURL(config: config)
        )
    }
}
