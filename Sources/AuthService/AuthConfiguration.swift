import Common
import Configuration
import Redis

/// Everything the auth service reads from the environment.
struct AuthConfiguration: Sendable {
    var address: ListenAddress
    var databaseURL: String
    /// `REDIS_URL` and the other `REDIS_*` settings; session and revocation writes wait for replicas.
    var redis: RedisConfiguration
    var privateKeyFile: String
    /// Public keys that still verify (a retired signing key during rotation); published in the JWKS.
    var additionalPublicKeyFiles: [String]
    var tokens: TokenSettings
    var accessTokenTTL: Int
    var sessionPolicy: SessionPolicy
    var signinThrottle: SigninThrottlePolicy
    var bootstrapAdmin: BootstrapAdmin?
    var metricsAddress: ListenAddress
    var databaseTimeouts: DatabaseTimeouts
    /// `MAX_REQUEST_BODY_BYTES`, the gateway's limit, enforced here too.
    var maxRequestBodyBytes: Int
    /// Audit events older than this many days are purged (`AUDIT_RETENTION_DAYS`).
    var auditRetentionDays: Int
    var logFormat: LogFormat
    /// One line per request at `LOG_LEVEL=info` and below.
    var logsRequests: Bool
    /// SMTP, `MAIL_FROM`, `PUBLIC_URL`, token lifetimes, verification and delivery.
    var mail: MailSettings
    /// `SESSION_COOKIES` and the `SESSION_COOKIE_*` settings, read as the gateway reads them.
    var sessionCookies: SessionCookieSettings
    /// `MFA_ENCRYPTION_KEY_FILE`, `MFA_ENCRYPTION_PREVIOUS_KEY_FILES`, `MFA_ISSUER`.
    var secondFactor: SecondFactorSettings

    init(config: ConfigReader) throws {
        self.address = try ListenAddress(config: config.scoped(to: "auth"), defaultPort: 8082)
        self.metricsAddress = try MetricsEndpoint.address(config: config.scoped(to: "auth"), defaultPort: 9092)
        self.databaseURL = config.string(forKey: "database.url", isSecret: true, default: "postgres://auth:auth@127.0.0.1:5432/auth")
        self.redis = try RedisConfiguration(config: config, durable: true)
        guard let keyFile = config.string(forKey: "jwt.private.key.file"), !keyFile.isEmpty else {
            throw ConfigurationError(message: "JWT_PRIVATE_KEY_FILE must name a PEM file with the signing key (Ed25519, P-256 or RSA)")
        }
        self.privateKeyFile = keyFile
        self.additionalPublicKeyFiles = config.string(forKey: "jwt.additional.public.key.files", default: "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        self.tokens = TokenSettings(config: config)
        self.accessTokenTTL = try config.positiveInt(forKey: "access.token.ttl", default: 900)
        let absolute = try config.positiveInt(forKey: "refresh.token.ttl", default: 604_800)
        self.sessionPolicy = SessionPolicy(
            absoluteLifetime: absolute,
            idleLifetime: try config.positiveInt(forKey: "refresh.idle.ttl", default: 86_400),
            reuseGrace: max(0, config.int(forKey: "refresh.reuse.grace", default: 10)),
            revocationRetention: max(absolute, self.accessTokenTTL) + self.tokens.leeway + 60,
            accessTokenRetention: self.accessTokenTTL + self.tokens.leeway + 60
        )
        self.signinThrottle = SigninThrottlePolicy(
            freeFailures: try config.positiveInt(forKey: "signin.free.failures", default: 5),
            maximumLock: try config.positiveInt(forKey: "signin.max.lockout", default: 900)
        )
        self.bootstrapAdmin = try BootstrapAdmin(config: config)
        self.databaseTimeouts = DatabaseTimeouts(
            operation: .seconds(try config.positiveInt(forKey: "database.timeout", default: 4)),
            writeMargin: .seconds(try config.positiveInt(forKey: "database.write.margin", default: 1))
        )
        guard self.databaseTimeouts.writeMargin < self.databaseTimeouts.operation else {
            throw ConfigurationError(message: "DATABASE_WRITE_MARGIN must be smaller than DATABASE_TIMEOUT")
        }
        self.maxRequestBodyBytes = try config.positiveInt(forKey: "max.request.body.bytes", default: RequestBodyLimitMiddleware.defaultLimit)
        self.auditRetentionDays = try config.positiveInt(forKey: "audit.retention.days", default: 365)
        self.logFormat = LogFormat(config.string(forKey: "log.format", default: "text"))
        self.logsRequests = config.logLevel() <= .info
        self.mail = try MailSettings(config: config)
        self.sessionCookies = try SessionCookieSettings(config: config)
        self.secondFactor = SecondFactorSettings(config: config)
    }
}

/// Second factors: the key their secrets are sealed with (none: nobody can enrol, and the service
/// refuses to start once a factor is stored), keys of earlier rotations, and the issuer name.
struct SecondFactorSettings: Sendable {
    var keyFile: String?
    var previousKeyFiles: [String]
    var issuer: String
    /// `MFA_REQUIRED_ROLES`, read as the gateway reads it: here it guards what the gateway lets pass
    /// unchecked (an admin's token on the public signup route).
    var requiredRoles: Set<String>

    init(config: ConfigReader) {
        self.keyFile = config.string(forKey: "mfa.encryption.key.file").flatMap { $0.isEmpty ? nil : $0 }
        self.previousKeyFiles = config.string(forKey: "mfa.encryption.previous.key.files", default: "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        self.issuer = config.string(forKey: "mfa.issuer", default: "Auth")
        self.requiredRoles = Set(
            config.string(forKey: "mfa.required.roles", default: "").split(separator: ",")
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        )
    }

    /// The sealing key and the earlier ones; `nil` without `MFA_ENCRYPTION_KEY_FILE`.
    func box() throws -> SecretBox? {
        guard let keyFile = self.keyFile else { return nil }
        return SecretBox(current: try SecretBox.key(fromFile: keyFile), previous: try self.previousKeyFiles.map(SecretBox.key(fromFile:)))
    }
}

/// The first admin account, from the `BOOTSTRAP_ADMIN_*` trio (all three or none).
struct BootstrapAdmin: Sendable {
    var username: String
    var email: String
    var password: String

    init?(config: ConfigReader) throws {
        let username = config.string(forKey: "bootstrap.admin.username")
        let email = config.string(forKey: "bootstrap.admin.email")
        let password = config.string(forKey: "bootstrap.admin.password", isSecret: true)
        switch (username, email, password) {
        case (nil, nil, nil):
            return nil
        case (let username?, let email?, let password?):
            self.username = username
            self.email = email
            self.password = password
        default:
            throw ConfigurationError(message: "set all of BOOTSTRAP_ADMIN_USERNAME, BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD, or none")
        }
    }

    init(username: String, email: String, password: String) {
        self.username = username
        self.email = email
        self.password = password
    }
}
