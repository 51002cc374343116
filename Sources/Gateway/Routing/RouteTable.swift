import NIOHTTP1

/// Who answers a route: the gateway itself, or the service that owns it.
enum RouteTarget: Sendable, Equatable {
    case auth
    case content
    /// Answered by the gateway (welcome, web app, OpenAPI document, health).
    case local(LocalRoute)
}

/// The gateway's own routes.
enum LocalRoute: Sendable, Equatable {
    case welcome
    case webAsset
    case openAPI
    case live
    case ready
}

/// One path of the public API, with what the gateway demands before anything reaches a service.
struct GatewayRoute: Sendable {
    /// The path as the OpenAPI document writes it: `/api/admin/users/{id}`. A `{name}` segment matches
    /// any one non-empty segment.
    var path: String
    /// The methods served; `HEAD` is served wherever `GET` is.
    var methods: [HTTPMethod]
    var target: RouteTarget
    /// A valid, unrevoked access token is required before the request is forwarded; it is the one
    /// credential the service receives.
    var requiresToken: Bool
    /// A public route whose service checks a token itself when one comes (signup's privileged roles):
    /// the request's token, if any, is forwarded unchecked. Every other public route gets none.
    var passesToken: Bool
    /// Counted per client address when set.
    var rateLimited: RateLimitedAction?
    /// In cookie mode the service gets the refresh cookie (refresh and signout read it), written by
    /// the gateway; every other route gets no cookie at all.
    var readsRefreshCookie: Bool
    /// Signout: in cookie mode it goes on without a valid access token when the request has session
    /// cookies, so that the session the refresh cookie names still ends and the cookies are cleared.
    var endsSession: Bool

    init(
        _ path: String, _ methods: [HTTPMethod], _ target: RouteTarget, requiresToken: Bool = false, passesToken: Bool = false,
        rateLimited: RateLimitedAction? = nil, readsRefreshCookie: Bool = false, endsSession: Bool = false
    ) {
        self.path = path
        self.methods = methods
        self.target = target
        self.requiresToken = requiresToken
        self.passesToken = passesToken
        self.rateLimited = rateLimited
        self.readsRefreshCookie = readsRefreshCookie
        self.endsSession = endsSession
    }

    /// `Allow` for a 405 on this path.
    var allowHeader: String {
        var names = self.methods.map(\.rawValue)
        if self.methods.contains(.GET), !self.methods.contains(.HEAD) { names.insert("HEAD", at: names.firstIndex(of: "GET")! + 1) }
        return names.joined(separator: ", ")
    }

    func serves(_ method: HTTPMethod) -> Bool {
        self.methods.contains(method) || (method == .HEAD && self.methods.contains(.GET))
    }
}

/// The public actions worth guessing at, limited per client address.
enum RateLimitedAction: String, Sendable, Hashable, CaseIterable {
    case signup
    case signin
    case refresh
    /// `POST /api/auth/password/forgot`: each one may send a mail.
    case passwordForgot = "password_forgot"
    /// `POST /api/auth/password/reset`: guesses at reset tokens.
    case passwordReset = "password_reset"
    /// `POST /api/auth/email/verify`: guesses at verification tokens.
    case emailVerify = "email_verify"
}

/// The public API, and nothing else: unknown paths never reach a service.
enum RouteTable {
    static let routes: [GatewayRoute] = [
        GatewayRoute("/", [.GET], .local(.welcome)),
        GatewayRoute("/web/{file}", [.GET], .local(.webAsset)),
        GatewayRoute("/api/openapi.json", [.GET], .local(.openAPI)),
        GatewayRoute("/health/live", [.GET], .local(.live)),
        GatewayRoute("/health/ready", [.GET], .local(.ready)),
        GatewayRoute("/api/auth/signup", [.POST], .auth, passesToken: true, rateLimited: .signup),
        GatewayRoute("/api/auth/signin", [.POST], .auth, rateLimited: .signin),
        GatewayRoute("/api/auth/refreshtoken", [.POST], .auth, rateLimited: .refresh, readsRefreshCookie: true),
        GatewayRoute("/api/auth/signout", [.POST], .auth, requiresToken: true, readsRefreshCookie: true, endsSession: true),
        GatewayRoute("/api/auth/me", [.GET], .auth, requiresToken: true),
        GatewayRoute("/api/auth/password", [.POST], .auth, requiresToken: true),
        GatewayRoute("/api/auth/password/forgot", [.POST], .auth, rateLimited: .passwordForgot),
        GatewayRoute("/api/auth/password/reset", [.POST], .auth, rateLimited: .passwordReset),
        GatewayRoute("/api/auth/email", [.POST], .auth, requiresToken: true),
        GatewayRoute("/api/auth/email/verify", [.POST], .auth, rateLimited: .emailVerify),
        GatewayRoute("/api/auth/email/verify/resend", [.POST], .auth, requiresToken: true),
        GatewayRoute("/api/auth/sessions", [.GET], .auth, requiresToken: true),
        GatewayRoute("/api/auth/sessions/{id}", [.DELETE], .auth, requiresToken: true),
        GatewayRoute("/api/admin/users", [.GET], .auth, requiresToken: true),
        GatewayRoute("/api/admin/users/{id}", [.GET, .DELETE], .auth, requiresToken: true),
        GatewayRoute("/api/admin/users/{id}/roles", [.PUT], .auth, requiresToken: true),
        GatewayRoute("/api/admin/users/{id}/disable", [.POST], .auth, requiresToken: true),
        GatewayRoute("/api/admin/users/{id}/enable", [.POST], .auth, requiresToken: true),
        GatewayRoute("/api/admin/users/{id}/sessions", [.GET, .DELETE], .auth, requiresToken: true),
        GatewayRoute("/api/admin/users/{id}/lockout", [.DELETE], .auth, requiresToken: true),
        GatewayRoute("/api/admin/users/{id}/password-reset", [.POST], .auth, requiresToken: true),
        GatewayRoute("/api/admin/audit", [.GET], .auth, requiresToken: true),
        GatewayRoute("/.well-known/jwks.json", [.GET], .auth),
        GatewayRoute("/api/test/all", [.GET], .content),
        GatewayRoute("/api/test/user", [.GET], .content, requiresToken: true),
        GatewayRoute("/api/test/mod", [.GET], .content, requiresToken: true),
        GatewayRoute("/api/test/admin", [.GET], .content, requiresToken: true),
    ]
}

/// Finds the route of a request path (without its query): exact paths by one dictionary lookup,
/// then the few templated ones segment by segment.
struct RouteMatcher: Sendable {
    private let exact: [String: Int]
    private let templated: [(index: Int, segments: [Substring])]
    let routes: [GatewayRoute]

    init(_ routes: [GatewayRoute] = RouteTable.routes) {
        self.routes = routes
        var exact: [String: Int] = [:]
        var templated: [(Int, [Substring])] = []
        for (index, route) in routes.enumerated() {
            if route.path.contains("{") {
                templated.append((index, route.path.split(separator: "/", omittingEmptySubsequences: false)))
            } else {
                exact[route.path] = index
            }
        }
        self.exact = exact
        self.templated = templated
    }

    func route(forPath path: Substring) -> GatewayRoute? {
        if let index = self.exact[String(path)] { return self.routes[index] }
        guard !self.templated.isEmpty else { return nil }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        for (index, template) in self.templated where template.count == segments.count {
            let matches = zip(template, segments).allSatisfy { pattern, segment in
                pattern.first == "{" ? !segment.isEmpty : pattern == segment
            }
            if matches { return self.routes[index] }
        }
        return nil
    }
}
