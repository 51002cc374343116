import HTTPTypes

/// Which service owns a path, and whether the gateway demands a valid access token for it.
struct GatewayRoute: Sendable, Equatable {
    enum Upstream: Sendable, Equatable {
        case auth
        case content
    }

    var path: String
    var methods: [HTTPRequest.Method]
    var upstream: Upstream
    var requiresToken: Bool
    /// Counted per client address when set.
    var rateLimited: RateLimitedAction? = nil
}

/// The public actions worth guessing at, limited per client address.
enum RateLimitedAction: String, Sendable, Hashable, CaseIterable {
    case signup
    case signin
    case refresh
}

/// The public API of the contract, and nothing else: unknown paths never reach a service.
enum RouteTable {
    static let routes: [GatewayRoute] = [
        GatewayRoute(path: "/api/auth/signup", methods: [.post], upstream: .auth, requiresToken: false, rateLimited: .signup),
        GatewayRoute(path: "/api/auth/signin", methods: [.post], upstream: .auth, requiresToken: false, rateLimited: .signin),
        GatewayRoute(path: "/api/auth/refreshtoken", methods: [.post], upstream: .auth, requiresToken: false, rateLimited: .refresh),
        GatewayRoute(path: "/api/auth/signout", methods: [.post], upstream: .auth, requiresToken: true),
        GatewayRoute(path: "/.well-known/jwks.json", methods: [.get, .head], upstream: .auth, requiresToken: false),
        GatewayRoute(path: "/api/test/all", methods: [.get, .head], upstream: .content, requiresToken: false),
        GatewayRoute(path: "/api/test/user", methods: [.get, .head], upstream: .content, requiresToken: true),
        GatewayRoute(path: "/api/test/mod", methods: [.get, .head], upstream: .content, requiresToken: true),
        GatewayRoute(path: "/api/test/admin", methods: [.get, .head], upstream: .content, requiresToken: true),
    ]

    /// Methods answered 405 on a known path (OPTIONS is CORS's).
    static let refusedMethods: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete]
}
