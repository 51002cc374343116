import Common
import Hummingbird
import Logging
import Prometheus

extension MetricsEndpoint {
    /// A small application serving `GET /metrics`, run beside the service in its service group.
    package static func application(
        registry: PrometheusCollectorRegistry,
        address: ListenAddress,
        logger: Logger
    ) -> some ApplicationProtocol {
        let router = Router()
        router.get("/metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: .init(bytes: registry.emitToBuffer()))
            )
        }
        return Application(
            router: router,
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: nil),
            logger: logger
        )
    }
}
