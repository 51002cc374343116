import Common
import Hummingbird
import Logging
import PostgresNIO
import Prometheus
import Redis
import ServiceKit
import ServiceLifecycle
import SMTP

/// What the auth service's routes need; tests assemble it from in-memory parts.
struct AuthDependencies: Sendable {
    var users: any UserRepository
    var sessions: any SessionStore
    var throttle: any SigninThrottle
    /// Where handlers hand their audit events (a buffer written off the request path).
    var audit: any AuditRecorder
    /// The stored trail, for the admin's reads.
    var auditTrail: any AuditRepository
    var passwords: PasswordHasher
    var signingKeys: SigningKeys
    var tokens: TokenSettings
    var accessTokenTTL: Int
    var clock: any WallClock = SystemWallClock()
    var maxRequestBodyBytes: Int = RequestBodyLimitMiddleware.defaultLimit
    /// `nil` when request lines are not logged.
    var requestLog: RequestLog? = nil
    /// The mail routes and notices; `nil` in handler tests built from in-memory parts, which then
    /// have no mail routes.
    var mail: MailFeatures? = nil
    /// Whether signin, refresh and a password change set session cookies, and whether their bodies
    /// still carry the tokens (`SESSION_COOKIES`).
    var sessionCookies = SessionCookieSettings()
    /// Second factors; `nil` in handler tests built from in-memory parts, which then have no MFA routes.
    var secondFactor: SecondFactorFeatures? = nil
    /// A span per request, continuing the caller's trace (``TraceExport``).
    var tracing = false
}

/// Builds the auth service on PostgreSQL and Redis; migrations and the bootstrap admin run before
/// the server accepts requests.
func buildApplication(
    configuration: AuthConfiguration,
    logger: Logger,
    metrics: PrometheusCollectorRegistry? = nil,
    traces: (any Service)? = nil
) async throws -> some ApplicationProtocol {
    let signingKeys = try SigningKeys(
        privateKeyFile: configuration.privateKeyFile,
        additionalPublicKeyFiles: configuration.additionalPublicKeyFiles
    )
    var postgresConfiguration = try PostgresClient.Configuration(url: configuration.databaseURL)
    postgresConfiguration.options.connectTimeout = configuration.databaseTimeouts.operation
    let postgres = PostgresClient(configuration: postgresConfiguration, backgroundLogger: logger)
    let database = TimeBoundDatabase(client: postgres, timeouts: configuration.databaseTimeouts)
    let redis = RedisClient(configuration: configuration.redis)
    let users = PostgresUserRepository(database: database, logger: logger)
    let passwords = try PasswordHasher()
    let sessions = RedisSessionStore(redis: redis, policy: configuration.sessionPolicy)
    let auditBuffer = AuditBuffer()
    let auditTrail = PostgresAuditRepository(database: database, logger: logger)
    let mailSignal = MailOutboxSignal()
    let mail = MailFeatures(
        repository: PostgresAccountMailRepository(database: database, logger: logger, messageIDDomain: configuration.mail.from.domain),
        quota: RedisMailQuota(redis: redis, limit: configuration.mail.accountLimit, window: configuration.mail.accountWindow),
        signal: mailSignal,
        settings: configuration.mail
    )
    var dependencies = AuthDependencies(
        users: users,
        sessions: sessions,
        throttle: RedisSigninThrottle(redis: redis, policy: configuration.signinThrottle),
        audit: auditBuffer,
        auditTrail: auditTrail,
        passwords: passwords,
        signingKeys: signingKeys,
        tokens: configuration.tokens,
        accessTokenTTL: configuration.accessTokenTTL,
        maxRequestBodyBytes: configuration.maxRequestBodyBytes,
        requestLog: configuration.logsRequests
            ? RequestLog(service: "auth-service", format: configuration.logFormat, fallback: logger) : nil
    )
    dependencies.mail = mail
    dependencies.sessionCookies = configuration.sessionCookies
    dependencies.tracing = traces != nil
    let factorRepository = PostgresSecondFactorRepository(database: database, logger: logger)
    let secretBox = try configuration.secondFactor.box()
    dependencies.secondFactor = SecondFactorFeatures(
        repository: factorRepository, box: secretBox, pending: PendingSignins(redis: redis), issuer: configuration.secondFactor.issuer,
        clock: dependencies.clock, requiredRoles: configuration.secondFactor.requiredRoles
    )
    let router = try await buildRouter(
        dependencies,
        readiness: [
            "postgres": {
                (try? await database.run("readiness ping", limit: .seconds(2)) { connection, _ in
                    _ = try await connection.query("SELECT 1", logger: logger)
                }) != nil
            },
            "redis": { await redis.ping() },
        ]
    )
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.address.host, port: configuration.address.port), serverName: "auth-service"),
        // Stopped in reverse order, after the server: the audit writer still has PostgreSQL to flush into.
        // Stopped after the server: the last spans are sent then.
        services: (traces.map { [$0] } ?? []) + [
            postgres, redis, RequestLogFlushService(log: dependencies.requestLog),
            AuditWriterService(buffer: auditBuffer, repository: auditTrail, logger: logger),
            AuditRetentionService(repository: auditTrail, retentionDays: configuration.auditRetentionDays, logger: logger),
        ],
        logger: logger
    )
    if let smtp = configuration.mail.smtp {
        // After the audit writer: stopped before it, so that its last failures still reach the trail.
        app.addServices(MailDeliveryService(
            outbox: PostgresMailOutbox(database: database, logger: logger),
            sender: try SMTPClient(configuration: smtp),
            composer: MailComposer(templates: MailTemplates(publicURL: configuration.mail.publicURL), from: configuration.mail.from),
            policy: configuration.mail.delivery,
            signal: mailSignal,
            audit: auditBuffer,
            logger: logger
        ))
        logger.info("Mail delivery on", metadata: ["smtp": "\(smtp)", "from": "\(configuration.mail.from.address)"])
    } else {
        logger.warning("SMTP_URL is unset: mails wait in the outbox until a replica with SMTP_URL delivers them")
    }
    if let metrics {
        app.addServices(MetricsEndpoint.application(registry: metrics, address: configuration.metricsAddress, logger: logger))
    }
    let requiredTLS = try PostgresClient.Configuration.requiredTLS(url: configuration.databaseURL)
    app.beforeServerStarts { [postgresConfiguration] in
        if let requiredTLS {
            try await PostgresTLSCheck.run(postgresConfiguration, tls: requiredTLS, timeout: configuration.databaseTimeouts.operation, logger: logger)
        }
        // PostgresNIO retries an unreachable server for a minute; a clear failure now is better.
        try await database.run("connection at start", limit: .seconds(20)) { connection, _ in
            _ = try await connection.query("SELECT 1", logger: logger)
        }
        // Unbounded: normalising a large tutorial database's names takes as long as it takes.
        try await Migrator(client: postgres, logger: logger).migrate(
            Migration.all(existingEmailsVerified: configuration.mail.existingEmailsVerified)
        )
        if secretBox == nil, try await factorRepository.anyFactorStored() {
            // Their owners could not sign in: refuse to start rather than fail every one of them.
            throw ConfigurationError(message: "MFA_ENCRYPTION_KEY_FILE is required: second factors are stored, sealed under it")
        }
        if let admin = configuration.bootstrapAdmin {
            try await BootstrapAdminAccount(admin: admin, users: users, sessions: sessions, passwords: passwords).ensure(logger: logger)
        }
    }
    return app
}

func buildRouter(
    _ dependencies: AuthDependencies,
    readiness: [String: HealthController<AppRequestContext>.ReadinessCheck] = [:]
) async throws -> Router<AppRequestContext> {
    let verifier = AccessTokenVerifier(
        keys: try await StaticVerificationKeys(dependencies.signingKeys.jwks),
        issuer: dependencies.tokens.issuer,
        audience: dependencies.tokens.audience,
        leeway: Double(dependencies.tokens.leeway),
        clock: dependencies.clock
    )
    let router = Router(context: AppRequestContext.self)
    router.addServiceMiddleware(requestLog: dependencies.requestLog, tracing: dependencies.tracing)
    router.addMiddleware {
        RequestBodyLimitMiddleware(limit: dependencies.maxRequestBodyBytes)
        StoreUnavailableMiddleware()
    }
    HealthController(checks: readiness).addRoutes(to: router)
    JWKSController(jwks: dependencies.signingKeys.jwks).addRoutes(to: router)
    // The only way a route opens a session or hands out a token.
    let credentials = CredentialIssuer(
        users: dependencies.users,
        sessions: dependencies.sessions,
        accessTokens: await AccessTokenIssuer(
            signingKeys: dependencies.signingKeys,
            settings: dependencies.tokens,
            lifetime: dependencies.accessTokenTTL,
            clock: dependencies.clock
        )
    )
    let signedIn = router.group("api/auth").signedIn(verifier: verifier, sessions: dependencies.sessions)
    let cookies = SessionCookieJar(
        settings: dependencies.sessionCookies, sessions: dependencies.sessions, accessTokenTTL: dependencies.accessTokenTTL, clock: dependencies.clock
    )
    AuthController(
        dependencies: dependencies,
        credentials: credentials,
        verifier: verifier,
        mail: dependencies.mail,
        cookies: cookies,
        secondFactor: dependencies.secondFactor
    ).addRoutes(to: router.group("api/auth"), signedIn: signedIn)
    let account = AccountController(
        dependencies: dependencies,
        credentials: credentials,
        mail: dependencies.mail,
        cookies: cookies,
        secondFactor: dependencies.secondFactor
    )
    if let mail = dependencies.mail {
        MailController(dependencies: dependencies, mail: mail, account: account).addRoutes(to: router.group("api/auth"), signedIn: signedIn)
    }
    account.addRoutes(to: signedIn)
    if let factors = dependencies.secondFactor {
        SecondFactorController(dependencies: dependencies, credentials: credentials, factors: factors, cookies: cookies).addRoutes(to: signedIn)
    }
    let admin = router.group("api/admin").signedIn(verifier: verifier, sessions: dependencies.sessions)
        .add(middleware: RequireAdminRoleMiddleware())
    AdminUsersController(dependencies: dependencies).addRoutes(to: admin)
    AdminSessionsController(dependencies: dependencies).addRoutes(to: admin)
    AdminAuditController(trail: dependencies.auditTrail).addRoutes(to: admin)
    if let factors = dependencies.secondFactor {
        AdminSecondFactorController(dependencies: dependencies, factors: factors, mail: dependencies.mail).addRoutes(to: admin)
    }
    if let mail = dependencies.mail {
        AdminMailController(dependencies: dependencies, mail: mail).addRoutes(to: admin)
    }
    return router
}

extension RouterGroup<AppRequestContext> {
    /// Routes that need a valid access token (403 without one, 401 for a bad one) that is not revoked.
    func signedIn(verifier: AccessTokenVerifier, sessions: any SessionStore) -> RouterGroup<AppRequestContext> {
        self.add(middleware: AccessTokenAuthenticator(verifier: verifier))
            .add(middleware: RequireAccessToken())
            .add(middleware: RejectRevokedTokensMiddleware(sessions: sessions))
    }
}
