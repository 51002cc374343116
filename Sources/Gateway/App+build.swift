import AsyncHTTPClient
import Common
import Logging
import NIOCore
import NIOPosix
import Prometheus
import Redis
import ServiceLifecycle

/// The gateway as its service group runs it: the public server and the long-lived clients it needs.
struct GatewayApplication: Sendable {
    let services: [any Service]
    let logger: Logger

    func runService() async throws {
        let group = ServiceGroup(
            configuration: .init(services: self.services, gracefulShutdownSignals: [.sigterm, .sigint], logger: self.logger)
        )
        try await group.run()
    }
}

/// Builds the gateway. Its services shut down in reverse order: the server drains first, then the
/// feeds and clients it used.
func buildApplication(
    configuration: GatewayConfiguration,
    logger: Logger,
    metrics: PrometheusCollectorRegistry? = nil,
    traces: TraceExport.Started? = nil,
    group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
) async throws -> GatewayApplication {
    guard let authAddress = UpstreamAddress(url: configuration.authServiceURL),
        let contentAddress = UpstreamAddress(url: configuration.contentServiceURL)
    else {
        throw ConfigurationError(message: "AUTH_SERVICE_URL and CONTENT_SERVICE_URL must be http://host:port URLs")
    }
    let redis = RedisClient(configuration: configuration.redis, eventLoopGroup: group)
    let loops = max(1, Array(group.makeIterator()).count)
    let states = EventLoopStates(group: group) { loop in
        EventLoopState(
            eventLoop: loop,
            revocations: RevocationView(maxLag: .nanoseconds(Int64(configuration.revocationMaxLag * 1e9))),
            upstreams: UpstreamPools(
                auth: UpstreamPool(address: authAddress, eventLoop: loop, connectTimeout: .seconds(1), maxIdle: configuration.upstreamMaxConnections),
                content: UpstreamPool(address: contentAddress, eventLoop: loop, connectTimeout: .seconds(1), maxIdle: configuration.upstreamMaxConnections)
            ),
            requestBufferLimit: configuration.requestBufferLimit / loops
        )
    }
    let httpClient = HTTPClient(eventLoopGroupProvider: .shared(group), configuration: .init(redirectConfiguration: .disallow))
    let keys = JWKSKeyProvider(url: configuration.jwksURL, httpClient: httpClient, logger: logger) { keys in
        states.forEach { $0.keys = keys }
    }
    let shared = GatewayConnectionContext(
        routes: RouteMatcher(),
        gate: AccessTokenGate(rules: AccessTokenRules(configuration.tokens), secondFactorRoles: configuration.mfaRequiredRoles),
        cors: CORSPolicy(allowedOrigins: configuration.corsAllowedOrigins),
        sessionCookies: configuration.sessionCookies,
        timeouts: configuration.clientTimeouts,
        maxBodyBytes: configuration.maxRequestBodyBytes,
        upstreamTimeout: .nanoseconds(Int64(configuration.upstreamTimeout * 1e9)),
        rateLimit: ClientRateLimit(redis: redis, limits: configuration.rateLimits, window: configuration.rateLimitWindow),
        clientAddresses: ClientAddressResolver(trustedProxies: configuration.trustedProxies),
        local: LocalResponses(assets: try WebAssets.load()),
        requestLog: configuration.logsRequests ? RequestLog(service: "gateway", format: configuration.logFormat, group: group, fallback: logger) : nil,
        tracing: traces.map { RequestTrace.Tracing(sampling: $0.sampling) },
        keys: keys,
        states: states,
        logger: logger
    )
    // The exporter first, so that it stops last: the server's last spans are sent then.
    var services: [any Service] = (traces.map { [$0.exporter] } ?? []) + [
        redis,
        HTTPClientService(client: httpClient),
        JWKSRefreshService(provider: keys, refreshInterval: .nanoseconds(Int64(configuration.jwksRefreshInterval * 1e9))),
        RevocationFeed(redis: redis, states: states, logger: logger, eventLoop: group.next()),
    ]
    if let metrics {
        services.append(MetricsServer(registry: metrics, address: configuration.metricsAddress, logger: logger, group: group))
    }
    services.append(GatewayServer(address: configuration.address, shared: shared, logger: logger, group: group))
    return GatewayApplication(services: services, logger: logger)
}
