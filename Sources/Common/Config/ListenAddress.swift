import Configuration

/// Host and port a service listens on, from `<PREFIX>_HOST` and `<PREFIX>_PORT`.
package struct ListenAddress: Sendable, Equatable {
    package var host: String
    package var port: Int

    package init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    package init(config: ConfigReader, defaultPort: Int) throws {
        self.host = config.string(forKey: "host", default: "127.0.0.1")
        self.port = config.int(forKey: "port", default: defaultPort)
        guard (0...65535).contains(self.port) else {
            throw ConfigurationError(message: "port \(self.port) is out of range")
        }
    }
}
