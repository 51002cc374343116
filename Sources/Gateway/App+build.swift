import AsyncHTTPClient
import Common
import Hummingbird
import Logging
import NIOCore
import Prometheus

/// Builds the gateway: its upstream client and JWKS refresher run as services of the application.
func buildApplication(
    configuration: GatewayConfiguration,
    logger: Logger,
    metrics: PrometheusCollectorRegistry? = nil
) async throws -> some ApplicationProtocol {
    let httpClient = HTTPClient(configuration: makeUpstreamClientConfiguration(configuration))
    let keys = JWKSKeyProvider(url: configuration.jwksURL, httpClient: httpClient, logger: logger)
    let verifier = AccessTokenVerifier(
        keys: keys,
        issuer: configuration.tokens.issuer,
        audience: configuration.tokens.audience,
        leeway: Double(configuration.tokens.leeway)
    )
    let redis = RedisClient(configuration: try RedisConfiguration(url: configuration.redisURL))
    let keepAliveClients = makeKeepAliveClients(configuration)
    if !configuration.revocationCheck {
        logger.warning("REVOCATION_CHECK=off: revoked tokens are accepted. For benchmarks only.")
    }
    let router = buildRouter(
        configuration: configuration,
        httpClient: httpClient,
        verifier: verifier,
        redis: redis,
        keepAliveClients: keepAliveClients,
        readiness: ["jwks": { await keys.hasKeys }, "redis": { await redis.ping() }]
    )
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.address.host, port: configuration.address.port)),
        logger: logger
    )
    app.addServices(
        redis, HTTPClientService(client: httpClient), KeepAliveUpstreamService(clients: Array(keepAliveClients.values)),
        JWKSRefreshService(provider: keys)
    )
    if let metrics {
        app.addServices(MetricsEndpoint.application(registry: metrics, address: configuration.metricsAddress, logger: logger))
    }
    return app
}

/// Upstream connections: pooled and kept alive, no redirects followed. AHC retries a refused
/// connection until the connect timeout (also its wait for a pooled connection), so a service that
/// is down answers 503 within about a second, while a replica restarting behind the name is retried.
func makeUpstreamClientConfiguration(_ configuration: GatewayConfiguration) -> HTTPClient.Configuration {
    var client = HTTPClient.Configuration(
        redirectConfiguration: .disallow,
        timeout: .init(connect: .seconds(1), read: .seconds(Int64(configuration.upstreamTimeout))),
        connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: configuration.upstreamMaxConnections),
        decompression: .disabled
    )
    client.httpVersion = .http1Only
    return client
}

/// The fast path for GET and HEAD, per upstream (`UPSTREAM_FAST_PATH=off` sends all through AHC).
func makeKeepAliveClients(_ configuration: GatewayConfiguration) -> [GatewayRoute.Upstream: KeepAliveUpstreamClient] {
    guard configuration.upstreamFastPath else { return [:] }
    var clients: [GatewayRoute.Upstream: KeepAliveUpstreamClient] = [:]
    for (upstream, url) in [(GatewayRoute.Upstream.auth, configuration.authServiceURL), (.content, configuration.contentServiceURL)] {
        clients[upstream] = KeepAliveUpstreamClient(baseURL: url, maxBodyBytes: 1 << 20, connectTimeout: .seconds(1))
    }
    return clients
}

func buildRouter(
    configuration: GatewayConfiguration,
    httpClient: HTTPClient,
    verifier: AccessTokenVerifier,
    redis: RedisClient,
    keepAliveClients: [GatewayRoute.Upstream: KeepAliveUpstreamClient] = [:],
    readiness: [String: HealthController<AppRequestContext>.ReadinessCheck] = [:]
) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.addMiddleware {
        EventLoopExecutorMiddleware()
        RequestIDMiddleware()
        RequestLogMiddleware()
        MetricsMiddleware()
        CORSMiddleware(allowedOrigins: configuration.corsAllowedOrigins)
        ErrorMiddleware()
    }
    HealthController(checks: readiness).addRoutes(to: router)
    router.get("/") { _, _ in
        MessageBody(message: "Welcome to the auth backend. See /api/auth and /api/test.")
    }
    let gate = AccessTokenGate(verifier: verifier, revocations: configuration.revocationCheck ? RevocationList(redis: redis) : nil)
    let rateLimit = ClientRateLimit(
        limiter: RateLimiter(redis: redis),
        resolver: ClientAddressResolver(trustedProxies: configuration.trustedProxies),
        limits: configuration.rateLimits,
        window: configuration.rateLimitWindow
    )
    let timeout = TimeAmount.seconds(Int64(configuration.upstreamTimeout))
    let upstreams: [GatewayRoute.Upstream: UpstreamProxy] = [
        .auth: UpstreamProxy(
            httpClient: httpClient, keepAliveClient: keepAliveClients[.auth],
            baseURL: configuration.authServiceURL, maxBodyBytes: configuration.maxRequestBodyBytes, timeout: timeout
        ),
        .content: UpstreamProxy(
            httpClient: httpClient, keepAliveClient: keepAliveClients[.content],
            baseURL: configuration.contentServiceURL, maxBodyBytes: configuration.maxRequestBodyBytes, timeout: timeout
        ),
    ]
    for route in RouteTable.routes {
        guard let proxy = upstreams[route.upstream] else { continue }
        for method in route.methods {
            router.on(RouterPath(route.path), method: method) { request, context in
                if let action = route.rateLimited {
                    try await rateLimit.check(action, request: request, context: context)
                }
                if route.requiresToken {
                    try await gate.check(request, context: context)
                }
                return try await proxy.forward(request, context: context)
            }
        }
        let allow = route.methods.map(\.rawValue).joined(separator: ", ")
        for method in RouteTable.refusedMethods where !route.methods.contains(method) {
            router.on(RouterPath(route.path), method: method) { _, _ -> Response in
                throw APIError(.methodNotAllowed, "Method not allowed", headers: [.allow: allow])
            }
        }
    }
    return router
}

/// `{"message": ...}` for the gateway's own answers.
struct MessageBody: ResponseEncodable {
    var message: String
}
