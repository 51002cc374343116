import Common
import Configuration

/// Everything the gateway reads from the environment.
struct GatewayConfiguration: Sendable {
    var address: ListenAddress
    var authServiceURL: String
    var contentServiceURL: String
    var jwksURL: String
    var tokens: TokenSettings
    /// Exact origins allowed by CORS (`CORS_ALLOWED_ORIGINS`, comma-separated).
    var corsAllowedOrigins: [String]
    /// Largest request body forwarded (`MAX_REQUEST_BODY_BYTES`); larger ones get 413.
    var maxRequestBodyBytes: Int
    /// Upstream connections kept per service (`UPSTREAM_MAX_CONNECTIONS`).
    var upstreamMaxConnections: Int
    /// How long an upstream may take to answer, in seconds (`UPSTREAM_TIMEOUT`).
    var upstreamTimeout: Int
    /// The revocation record and rate-limit counters (`REDIS_URL`).
    var redisURL: String
    /// Proxies whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`, IPs or CIDRs, comma-separated).
    var trustedProxies: [IPNetwork]
    /// Attempts per client address per window, by action (`RATE_LIMIT_SIGNIN`, `..._SIGNUP`, `..._REFRESH`).
    var rateLimits: [RateLimitedAction: Int]
    /// The rate-limit window, seconds (`RATE_LIMIT_WINDOW`).
    var rateLimitWindow: Int
    /// `REVOCATION_CHECK=off` skips the denylist lookup: only for measuring its cost in benchmarks.
    var revocationCheck: Bool
    /// GET and HEAD through the per-event-loop keep-alive pool (`UPSTREAM_FAST_PATH`, default on).
    var upstreamFastPath: Bool = true
    /// Prometheus metrics, off the public port (`GATEWAY_METRICS_PORT`).
    var metricsAddress: ListenAddress

    init(
        address: ListenAddress = ListenAddress(host: "127.0.0.1", port: 8080),
        authServiceURL: String = "http://127.0.0.1:8082",
        contentServiceURL: String = "http://127.0.0.1:8083",
        jwksURL: String? = nil,
        tokens: TokenSettings = TokenSettings(),
        corsAllowedOrigins: [String] = ["http://localhost:8081"],
        maxRequestBodyBytes: Int = 64 * 1024,
        upstreamMaxConnections: Int = 128,
        upstreamTimeout: Int = 15,
        redisURL: String = "redis://127.0.0.1:6379",
        trustedProxies: [IPNetwork] = [],
        rateLimits: [RateLimitedAction: Int] = [.signin: 30, .signup: 10, .refresh: 60],
        rateLimitWindow: Int = 60,
        revocationCheck: Bool = true,
        metricsAddress: ListenAddress = ListenAddress(host: "127.0.0.1", port: 9090)
    ) {
        self.address = address
        self.authServiceURL = authServiceURL.trimmingSuffix("/")
        self.contentServiceURL = contentServiceURL.trimmingSuffix("/")
        self.jwksURL = jwksURL ?? self.authServiceURL + "/.well-known/jwks.json"
        self.tokens = tokens
        self.corsAllowedOrigins = corsAllowedOrigins
        self.maxRequestBodyBytes = maxRequestBodyBytes
        self.upstreamMaxConnections = upstreamMaxConnections
        self.upstreamTimeout = upstreamTimeout
        self.redisURL = redisURL
        self.trustedProxies = trustedProxies
        self.rateLimits = rateLimits
        self.rateLimitWindow = rateLimitWindow
        self.revocationCheck = revocationCheck
        self.metricsAddress = metricsAddress
    }

    init(config: ConfigReader) throws {
        let proxies = try config.string(forKey: "trusted.proxies", default: "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            .map { entry in
                guard let network = IPNetwork(entry) else {
                    throw ConfigurationError(message: "TRUSTED_PROXIES: \(entry) is not an IP address or CIDR")
                }
                return network
            }
        let origins = config.string(forKey: "cors.allowed.origins", default: "http://localhost:8081")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        self.init(
            address: try ListenAddress(config: config.scoped(to: "gateway"), defaultPort: 8080),
            authServiceURL: config.string(forKey: "auth.service.url", default: "http://127.0.0.1:8082"),
            contentServiceURL: config.string(forKey: "content.service.url", default: "http://127.0.0.1:8083"),
            jwksURL: Common.jwksURL(config: config),
            tokens: TokenSettings(config: config),
            corsAllowedOrigins: origins,
            maxRequestBodyBytes: try config.positiveInt(forKey: "max.request.body.bytes", default: 64 * 1024),
            upstreamMaxConnections: try config.positiveInt(forKey: "upstream.max.connections", default: 128),
            upstreamTimeout: try config.positiveInt(forKey: "upstream.timeout", default: 15),
            redisURL: config.string(forKey: "redis.url", isSecret: true, default: "redis://127.0.0.1:6379"),
            trustedProxies: proxies,
            rateLimits: [
                .signin: try config.positiveInt(forKey: "rate.limit.signin", default: 30),
                .signup: try config.positiveInt(forKey: "rate.limit.signup", default: 10),
                .refresh: try config.positiveInt(forKey: "rate.limit.refresh", default: 60),
            ],
            rateLimitWindow: try config.positiveInt(forKey: "rate.limit.window", default: 60),
            revocationCheck: config.string(forKey: "revocation.check", default: "on") != "off",
            metricsAddress: try MetricsEndpoint.address(config: config.scoped(to: "gateway"), defaultPort: 9090)
        )
        self.upstreamFastPath = config.string(forKey: "upstream.fast.path", default: "on") != "off"
    }
}
