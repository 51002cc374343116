import AsyncHTTPClient
import Common
import Hummingbird
import Logging
import NIOCore

/// Builds the gateway: its upstream client and JWKS refresher run as services of the application.
func buildApplication(configuration: GatewayConfiguration, logger: Logger) async throws -> some ApplicationProtocol {
    let httpClient = HTTPClient(configuration: makeUpstreamClientConfiguration(configuration))
    let keys = JWKSKeyProvider(url: configuration.jwksURL, httpClient: httpClient, logger: logger)
    let verifier = AccessTokenVerifier(
        keys: keys,
        issuer: configuration.tokens.issuer,
        audience: configuration.tokens.audience,
        leeway: Double(configuration.tokens.leeway)
    )
    let router = buildRouter(
        configuration: configuration,
        httpClient: httpClient,
        verifier: verifier,
        readiness: ["jwks": { await keys.hasKeys }]
    )
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.address.host, port: configuration.address.port)),
        logger: logger
    )
    app.addServices(HTTPClientService(client: httpClient), JWKSRefreshService(provider: keys))
    return app
}

/// Upstream connections: pooled and kept alive, no redirects followed, a quick connect timeout so
/// a dead service answers 503 at once.
func makeUpstreamClientConfiguration(_ configuration: GatewayConfiguration) -> HTTPClient.Configuration {
    var client = HTTPClient.Configuration(
        redirectConfiguration: .disallow,
        timeout: .init(connect: .milliseconds(500), read: .seconds(Int64(configuration.upstreamTimeout))),
        connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: configuration.upstreamMaxConnections),
        decompression: .disabled
    )
    client.httpVersion = .http1Only
    return client
}

func buildRouter(
    configuration: GatewayConfiguration,
    httpClient: HTTPClient,
    verifier: AccessTokenVerifier,
    readiness: [String: HealthController<AppRequestContext>.ReadinessCheck] = [:]
) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.addMiddleware {
        RequestIDMiddleware()
        CORSMiddleware(allowedOrigins: configuration.corsAllowedOrigins)
        ErrorMiddleware()
    }
    HealthController(checks: readiness).addRoutes(to: router)
    router.get("/") { _, _ in
        MessageBody(message: "Welcome to the auth backend. See /api/auth and /api/test.")
    }
    let gate = AccessTokenGate(verifier: verifier)
    let timeout = TimeAmount.seconds(Int64(configuration.upstreamTimeout))
    let upstreams: [GatewayRoute.Upstream: UpstreamProxy] = [
        .auth: UpstreamProxy(httpClient: httpClient, baseURL: configuration.authServiceURL, maxBodyBytes: configuration.maxRequestBodyBytes, timeout: timeout),
        .content: UpstreamProxy(httpClient: httpClient, baseURL: configuration.contentServiceURL, maxBodyBytes: configuration.maxRequestBodyBytes, timeout: timeout),
    ]
    for route in RouteTable.routes {
        guard let proxy = upstreams[route.upstream] else { continue }
        for method in route.methods {
            router.on(RouterPath(route.path), method: method) { request, context in
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
