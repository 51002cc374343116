@testable import Gateway
import NIOHTTP1
import Testing

@Suite("The route table: the contract's paths and nothing else")
struct RouteMatcherTests {
    let matcher = RouteMatcher()

    private func route(_ uri: String) -> GatewayRoute? {
        RequestHeadCheck.path(of: uri).flatMap { self.matcher.route(forPath: $0) }
    }

    @Test("every path of the route table finds its own route", arguments: RouteTable.routes.filter { !$0.path.contains("{") }.map(\.path))
    func exactPaths(path: String) throws {
        let route = try #require(self.matcher.route(forPath: Substring(path)))
        #expect(route.path == path)
    }

    @Test("protected routes are exactly signout, the three role routes and the account, mail and admin routes")
    func protectedRoutes() {
        let protected = Set(RouteTable.routes.filter(\.requiresToken).map(\.path))
        #expect(protected == [
            "/api/auth/signout", "/api/test/user", "/api/test/mod", "/api/test/admin",
            "/api/auth/me", "/api/auth/password", "/api/auth/sessions", "/api/auth/sessions/{id}",
            "/api/admin/users", "/api/admin/users/{id}", "/api/admin/users/{id}/roles", "/api/admin/users/{id}/disable",
            "/api/admin/users/{id}/enable", "/api/admin/users/{id}/sessions", "/api/admin/users/{id}/lockout", "/api/admin/audit",
            "/api/auth/email", "/api/auth/email/verify/resend", "/api/admin/users/{id}/password-reset",
        ])
        #expect(self.matcher.route(forPath: "/api/test/all")?.requiresToken == false)
    }

    @Test("the public mail routes are counted per client address, each on its own counter at signin's limit; the signed-in ones need a token")
    func mailRoutes() throws {
        let limited: [(String, RateLimitedAction)] = [
            ("/api/auth/password/forgot", .passwordForgot), ("/api/auth/password/reset", .passwordReset), ("/api/auth/email/verify", .emailVerify),
        ]
        for (path, action) in limited {
            let route = try #require(self.matcher.route(forPath: Substring(path)))
            #expect(route.rateLimited == action && !route.requiresToken && !route.passesToken && route.target == .auth, "\(path)")
            #expect(action.limitedLike == .signin)
        }
        #expect(Set(RateLimitedAction.allCases.map(\.rawValue)).count == RateLimitedAction.allCases.count)
        for path in ["/api/auth/email", "/api/auth/email/verify/resend", "/api/admin/users/7/password-reset"] {
            let route = try #require(self.matcher.route(forPath: Substring(path)))
            #expect(route.requiresToken && route.rateLimited == nil && route.methods == [.POST], "\(path)")
        }
    }

    @Test("account and admin paths with an id find their route, need a token and go to the auth service")
    func accountRoutes() throws {
        let cases: [(String, String, [HTTPMethod])] = [
            ("/api/auth/sessions/abc", "/api/auth/sessions/{id}", [.DELETE]),
            ("/api/admin/users/7", "/api/admin/users/{id}", [.GET, .DELETE]),
            ("/api/admin/users/7/roles", "/api/admin/users/{id}/roles", [.PUT]),
            ("/api/admin/users/x/sessions", "/api/admin/users/{id}/sessions", [.GET, .DELETE]),
            ("/api/admin/users/7/lockout", "/api/admin/users/{id}/lockout", [.DELETE]),
        ]
        for (path, template, methods) in cases {
            let route = try #require(self.matcher.route(forPath: Substring(path)), "\(path)")
            #expect(route.path == template)
            #expect(route.methods == methods)
            #expect(route.requiresToken && route.target == .auth)
        }
        #expect(self.matcher.route(forPath: "/api/admin/users/7/unknown") == nil)
        #expect(self.matcher.route(forPath: "/api/admin/users//roles") == nil)
    }

    @Test("auth paths go to the auth service, test paths to the content service")
    func targets() {
        #expect(self.matcher.route(forPath: "/api/auth/signin")?.target == .auth)
        #expect(self.matcher.route(forPath: "/.well-known/jwks.json")?.target == .auth)
        #expect(self.matcher.route(forPath: "/api/test/admin")?.target == .content)
        #expect(self.matcher.route(forPath: "/")?.target == .local(.welcome))
    }

    @Test("a {name} segment matches one non-empty segment and nothing more")
    func templatedSegment() {
        #expect(self.matcher.route(forPath: "/web/app.js")?.path == "/web/{file}")
        #expect(self.matcher.route(forPath: "/web/") == nil)
        #expect(self.matcher.route(forPath: "/web") == nil)
        #expect(self.matcher.route(forPath: "/web/a/b") == nil)
    }

    @Test(
        "unknown paths, trailing slashes, dot segments, encoded slashes and case variants match nothing",
        arguments: [
            "/nope", "/api/auth", "/api/auth/users", "/api/test/secret", "/api/test/user/", "//api/test/user",
            "/health/../api/test/admin", "/api/test/./user", "/api/test/all/../admin", "/api/test%2Fadmin", "/API/test/user", "",
        ]
    )
    func unknownPaths(path: String) {
        #expect(self.matcher.route(forPath: Substring(path)) == nil)
    }

    @Test("the query and fragment are not part of the path the route is found by")
    func queryStripped() {
        #expect(RequestHeadCheck.path(of: "/api/test/user?x=1&y=%2F") == "/api/test/user")
        #expect(RequestHeadCheck.path(of: "/api/test/user#top") == "/api/test/user")
        #expect(RequestHeadCheck.path(of: "/?") == "/")
        #expect(self.route("/api/test/all?page=2")?.path == "/api/test/all")
    }

    @Test("an absolute-form target is routed by its path")
    func absoluteForm() {
        #expect(RequestHeadCheck.path(of: "http://gateway.example/api/test/user?x=1") == "/api/test/user")
        #expect(RequestHeadCheck.path(of: "https://gateway.example:8443/api/auth/signin") == "/api/auth/signin")
        #expect(RequestHeadCheck.path(of: "http://gateway.example") == "/")
        #expect(self.route("http://gateway.example/api/test/admin")?.path == "/api/test/admin")
    }

    @Test("a target that is neither origin-form nor absolute-form has no path", arguments: ["*", "api/test/user", "gateway.example:443", "ftp://x/api/test/all", ""])
    func noPath(uri: String) {
        #expect(RequestHeadCheck.path(of: uri) == nil)
    }
}

@Suite("Which methods a route serves, and what a 405 says")
struct RouteMethodTests {
    @Test("a GET route serves HEAD too, and says so in Allow")
    func headWhereGet() {
        let route = GatewayRoute("/api/test/all", [.GET], .content)
        #expect(route.serves(.GET))
        #expect(route.serves(.HEAD))
        #expect(!route.serves(.POST))
        #expect(!route.serves(.OPTIONS))
        #expect(route.allowHeader == "GET, HEAD")
    }

    @Test("a POST route serves POST only")
    func postOnly() {
        let route = GatewayRoute("/api/auth/signin", [.POST], .auth)
        #expect(route.serves(.POST))
        #expect(!route.serves(.HEAD))
        #expect(!route.serves(.GET))
        #expect(route.allowHeader == "POST")
    }

    @Test("a route listing HEAD itself does not name it twice")
    func headListed() {
        #expect(GatewayRoute("/x", [.GET, .HEAD, .POST], .content).allowHeader == "GET, HEAD, POST")
        #expect(GatewayRoute("/x", [.POST, .GET], .content).allowHeader == "POST, GET, HEAD")
    }
}
