import AsyncHTTPClient
import Common
import Hummingbird
import Logging
import Prometheus
import ServiceKit
import ServiceLifecycle

/// Builds the content service; tests call this too, with their own key provider.
func buildApplication(
    configuration: ContentConfiguration,
    logger: Logger,
    metrics: PrometheusCollectorRegistry? = nil,
    traces: (any Service)? = nil
) async throws -> some ApplicationProtocol {
    let httpClient = HTTPClient(configuration: .init(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(2), read: .seconds(5))))
    let keys = JWKSKeyProvider(url: configuration.jwksURL, httpClient: httpClient, logger: logger)
    let verifier = AccessTokenVerifier(
        keys: keys,
        issuer: configuration.tokens.issuer,
        audience: configuration.tokens.audience,
        leeway: Double(configuration.tokens.leeway)
    )
    let requestLog = configuration.logsRequests
        ? RequestLog(service: "content-service", format: configuration.logFormat, fallback: logger) : nil
    let router = buildRouter(verifier: verifier, requestLog: requestLog, tracing: traces != nil, readiness: ["jwks": { await keys.hasKeys }])
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.address.host, port: configuration.address.port), serverName: "content-service"),
        // Stopped after the server: the last spans are sent then.
        services: traces.map { [$0] } ?? [],
        logger: logger
    )
    app.addServices(
        HTTPClientService(client: httpClient),
        JWKSRefreshService(provider: keys, refreshInterval: .nanoseconds(Int64(configuration.jwksRefreshInterval * 1e9))),
        RequestLogFlushService(log: requestLog)
    )
    if let metrics {
        app.addServices(MetricsEndpoint.application(registry: metrics, address: configuration.metricsAddress, logger: logger))
    }
    return app
}

/// The routes and middleware, separate from the services so handler tests need no network.
func buildRouter(
    verifier: AccessTokenVerifier,
    requestLog: RequestLog? = nil,
    tracing: Bool = false,
    readiness: [String: HealthController<AppRequestContext>.ReadinessCheck] = [:]
) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.addServiceMiddleware(requestLog: requestLog, tracing: tracing)
    HealthController(checks: readiness).addRoutes(to: router)
    ContentController(verifier: verifier).addRoutes(to: router.group("api/test"))
    return router
}
