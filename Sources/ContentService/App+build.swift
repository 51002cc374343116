import AsyncHTTPClient
import Common
import Hummingbird
import Logging
import Prometheus

/// Builds the content service; tests call this too, with their own key provider.
func buildApplication(
    configuration: ContentConfiguration,
    logger: Logger,
    metrics: PrometheusCollectorRegistry? = nil
) async throws -> some ApplicationProtocol {
    let httpClient = HTTPClient(configuration: .init(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(2), read: .seconds(5))))
    let keys = JWKSKeyProvider(url: configuration.jwksURL, httpClient: httpClient, logger: logger)
    let verifier = AccessTokenVerifier(
        keys: keys,
        issuer: configuration.tokens.issuer,
        audience: configuration.tokens.audience,
        leeway: Double(configuration.tokens.leeway)
    )
    let router = buildRouter(verifier: verifier, readiness: ["jwks": { await keys.hasKeys }])
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.address.host, port: configuration.address.port), serverName: "content-service"),
        logger: logger
    )
    app.addServices(HTTPClientService(client: httpClient), JWKSRefreshService(provider: keys))
    if let metrics {
        app.addServices(MetricsEndpoint.application(registry: metrics, address: configuration.metricsAddress, logger: logger))
    }
    return app
}

/// The routes and middleware, separate from the services so handler tests need no network.
func buildRouter(
    verifier: AccessTokenVerifier,
    readiness: [String: HealthController<AppRequestContext>.ReadinessCheck] = [:]
) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.addServiceMiddleware()
    HealthController(checks: readiness).addRoutes(to: router)
    router.addMiddleware {
        AccessTokenMiddleware(verifier: verifier)
    }
    ContentController().addRoutes(to: router.group("api/test"))
    return router
}
