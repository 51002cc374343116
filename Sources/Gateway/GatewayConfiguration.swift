import Common
import Configuration
import Foundation
import Redis

/// Everything the gateway reads from the environment.
struct GatewayConfiguration: Sendable {
    var address: ListenAddress
    var authServiceURL: String
    var contentServiceURL: String
    var jwksURL: String
    /// How often the JWKS is fetched again, seconds (`JWKS_REFRESH_INTERVAL`).
    var jwksRefreshInterval: Double
    var tokens: TokenSettings
    /// Exact origins allowed by CORS (`CORS_ALLOWED_ORIGINS`, comma-separated).
    var corsAllowedOrigins: [String]
    /// Sessions in HttpOnly cookies (`SESSION_COOKIES`, `SESSION_COOKIE_*`).
    var sessionCookies: SessionCookieSettings
    /// Largest request body forwarded (`MAX_REQUEST_BODY_BYTES`); larger ones get 413.
    var maxRequestBodyBytes: Int
    /// What all client connections together may hold of requests in progress (`REQUEST_BUFFER_LIMIT`).
    var requestBufferLimit: Int
    /// Idle keep-alive connections kept per upstream and event loop (`UPSTREAM_MAX_CONNECTIONS`).
    var upstreamMaxConnections: Int
    /// How long an upstream may take to answer, seconds (`UPSTREAM_TIMEOUT`).
    var upstreamTimeout: Double
    /// Client-side deadlines (`CLIENT_HEADER_TIMEOUT`, `CLIENT_BODY_TIMEOUT`, `CLIENT_IDLE_TIMEOUT`).
    var clientTimeouts: ClientTimeouts
    /// The revocation stream and rate-limit counters: `REDIS_URL` and the other `REDIS_*` settings
    /// (TLS, Sentinel).
    var redis: RedisConfiguration
    /// Protected routes answer 503 when the revocation feed has been silent this long (`REVOCATION_MAX_LAG`).
    var revocationMaxLag: Double
    /// Proxies whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`, IPs or CIDRs, comma-separated).
    var trustedProxies: [IPNetwork]
    /// Attempts per client address per window, by action (`RATE_LIMIT_SIGNIN`, `..._SIGNUP`, `..._REFRESH`).
    var rateLimits: [RateLimitedAction: Int]
    /// The rate-limit window, seconds (`RATE_LIMIT_WINDOW`).
    var rateLimitWindow: Int
    /// Prometheus metrics, off the public port (`GATEWAY_METRICS_PORT`).
    var metricsAddress: ListenAddress
    /// Log lines: `LOG_FORMAT=json` or text; one line per request at `info`.
    var logFormat: LogFormat
    var logsRequests: Bool
    /// `MFA_REQUIRED_ROLES`: a token holding one of these roles without a second factor (`otp` in its
    /// `amr`) reaches only enrolment and signout.
    var mfaRequiredRoles: Set<String> = []

    /// The origins the tutorial's frontends are served from: React and Vue on 8081, Angular on 4200.
    static let tutorialOrigins = ["http://localhost:8081", "http://localhost:4200"]

    init(
        address: ListenAddress = ListenAddress(host: "127.0.0.1", port: 8080),
        authServiceURL: String = "http://127.0.0.1:8082",
        contentServiceURL: String = "http://127.0.0.1:8083",
        jwksURL: String? = nil,
        jwksRefreshInterval: Double = 300,
        tokens: TokenSettings = TokenSettings(),
        corsAllowedOrigins: [String] = Self.tutorialOrigins,
        sessionCookies: SessionCookieSettings = SessionCookieSettings(),
        maxRequestBodyBytes: Int = 64 * 1024,
        requestBufferLimit: Int = 8 << 20,
        upstreamMaxConnections: Int = 128,
        upstreamTimeout: Double = 15,
        clientTimeouts: ClientTimeouts = ClientTimeouts(),
        redisURL: String = "redis://127.0.0.1:6379",
        revocationMaxLag: Double = 1,
        trustedProxies: [IPNetwork] = [],
        rateLimits: [RateLimitedAction: Int] = [.signin: 30, .signup: 10, .refresh: 60],
        rateLimitWindow: Int = 60,
        metricsAddress: ListenAddress = ListenAddress(host: "127.0.0.1", port: 9090),
        logFormat: LogFormat = .text,
        logsRequests: Bool = true
    ) throws {
        self.address = address
        self.authServiceURL = authServiceURL.trimmingSuffix("/")
        self.contentServiceURL = contentServiceURL.trimmingSuffix("/")
        self.jwksURL = jwksURL ?? self.authServiceURL + "/.well-known/jwks.json"
        self.jwksRefreshInterval = jwksRefreshInterval
        self.tokens = tokens
        self.corsAllowedOrigins = corsAllowedOrigins
        self.sessionCookies = sessionCookies
        self.maxRequestBodyBytes = maxRequestBodyBytes
        self.requestBufferLimit = requestBufferLimit
        self.upstreamMaxConnections = upstreamMaxConnections
        self.upstreamTimeout = upstreamTimeout
        self.clientTimeouts = clientTimeouts
        self.redis = try RedisConfiguration(url: redisURL)
        self.revocationMaxLag = revocationMaxLag
        self.trustedProxies = trustedProxies
        self.rateLimits = rateLimits
        self.rateLimitWindow = rateLimitWindow
        self.metricsAddress = metricsAddress
        self.logFormat = logFormat
        self.logsRequests = logsRequests
    }

    init(config: ConfigReader) throws {
        let proxies = try Self.list(config.string(forKey: "trusted.proxies", default: "")).map { entry in
            guard let network = IPNetwork(entry) else {
                throw ConfigurationError(message: "TRUSTED_PROXIES: \(entry) is not an IP address or CIDR")
            }
            return network
        }
        let origins = Self.list(config.string(forKey: "cors.allowed.origins", default: Self.tutorialOrigins.joined(separator: ",")))
        try self.init(
            address: try ListenAddress(config: config.scoped(to: "gateway"), defaultPort: 8080),
            authServiceURL: config.string(forKey: "auth.service.url", default: "http://127.0.0.1:8082"),
            contentServiceURL: config.string(forKey: "content.service.url", default: "http://127.0.0.1:8083"),
            jwksURL: Common.jwksURL(config: config),
            jwksRefreshInterval: try config.positiveSeconds(forKey: "jwks.refresh.interval", default: 300),
            tokens: TokenSettings(config: config),
            corsAllowedOrigins: origins,
            sessionCookies: try SessionCookieSettings(config: config),
            maxRequestBodyBytes: try config.positiveInt(forKey: "max.request.body.bytes", default: 64 * 1024),
            requestBufferLimit: try config.positiveInt(forKey: "request.buffer.limit", default: 8 << 20),
            upstreamMaxConnections: try config.positiveInt(forKey: "upstream.max.connections", default: 128),
            upstreamTimeout: try config.positiveSeconds(forKey: "upstream.timeout", default: 15),
            clientTimeouts: ClientTimeouts(
                header: try config.positiveSeconds(forKey: "client.header.timeout", default: 10),
                body: try config.positiveSeconds(forKey: "client.body.timeout", default: 10),
                idle: try config.positiveSeconds(forKey: "client.idle.timeout", default: 60)
            ),
            revocationMaxLag: try config.positiveSeconds(forKey: "revocation.max.lag", default: 1),
            trustedProxies: proxies,
            rateLimits: [
                .signin: try config.positiveInt(forKey: "rate.limit.signin", default: 30),
                .signup: try config.positiveInt(forKey: "rate.limit.signup", default: 10),
                .refresh: try config.positiveInt(forKey: "rate.limit.refresh", default: 60),
            ],
            rateLimitWindow: try config.positiveInt(forKey: "rate.limit.window", default: 60),
            metricsAddress: try MetricsEndpoint.address(config: config.scoped(to: "gateway"), defaultPort: 9090),
            logFormat: LogFormat(config.string(forKey: "log.format", default: "text")),
            logsRequests: config.logLevel() <= .info
        )
        self.mfaRequiredRoles = Set(Self.list(config.string(forKey: "mfa.required.roles", default: "")))
        // The gateway's own writes (rate-limit counters) may be lost in a failover: no WAIT.
        self.redis = try RedisConfiguration(config: config, durable: false)
    }

    private static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

/// How long a client may take, in seconds: to send a request head (from connecting, or from the
/// first byte of a further request), to send the body after the head, and to start another request
/// on a keep-alive connection.
struct ClientTimeouts: Sendable, Equatable {
    var header: Double = 10
    var body: Double = 10
    var idle: Double = 60
}
