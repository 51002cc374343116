import Configuration
import Logging
import Metrics
import Prometheus

/// Prometheus metrics on a port of their own (`<SERVICE>_METRICS_PORT`), never on the public one.
package enum MetricsEndpoint {
    /// Installs the Prometheus factory for swift-metrics; call once, before any metric is made.
    package static func bootstrap() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Hummingbird names its metrics with dots (`hb.requests`); Prometheus allows [a-zA-Z0-9_:].
        factory.nameAndLabelSanitizer = { name, labels in
            (Self.sanitize(name), labels.map { (Self.sanitize($0.0), $0.1) })
        }
        // Sub-millisecond buckets too: most of our requests finish well under 5 ms.
        factory.defaultDurationHistogramBuckets = [
            .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
        ]
        MetricsSystem.bootstrap(factory)
        return registry
    }

    static func sanitize(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" ? $0 : "_" })
    }

    /// Where the service's metrics listen: its own host, `<prefix>.metrics.port`.
    package static func address(config: ConfigReader, defaultPort: Int) throws -> ListenAddress {
        ListenAddress(
            host: config.string(forKey: "host", default: "127.0.0.1"),
            port: try config.positiveInt(forKey: "metrics.port", default: defaultPort)
        )
    }
}
