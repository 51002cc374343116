import Configuration

/// Issuer and audience every service agrees on (`JWT_ISSUER`, `JWT_AUDIENCE`).
package struct TokenSettings: Sendable, Equatable {
    /// Clock skew tolerated by default, in seconds.
    package static let defaultLeeway = 30

    package var issuer: String
    package var audience: String
    /// Clock skew tolerated on `exp` and `nbf`, in seconds (`JWT_LEEWAY`).
    package var leeway: Int

    package init(issuer: String = "auth-backend", audience: String = "auth-backend-api", leeway: Int = Self.defaultLeeway) {
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
    }

    package init(config: ConfigReader) {
        self.init(
            issuer: config.string(forKey: "jwt.issuer", default: "auth-backend"),
            audience: config.string(forKey: "jwt.audience", default: "auth-backend-api"),
            leeway: max(0, config.int(forKey: "jwt.leeway", default: Self.defaultLeeway))
        )
    }
}

/// Where the auth service publishes its keys (`JWKS_URL`, else `AUTH_SERVICE_URL` + the well-known path).
package func jwksURL(config: ConfigReader) -> String {
    if let url = config.string(forKey: "jwks.url") { return url }
    let authURL = config.string(forKey: "auth.service.url", default: "http://127.0.0.1:8082")
    return authURL.trimmingSuffix("/") + "/.well-known/jwks.json"
}

extension String {
    package func trimmingSuffix(_ suffix: String) -> String {
        self.hasSuffix(suffix) ? String(self.dropLast(suffix.count)) : self
    }
}
