import Common
import Hummingbird
import ServiceKit

/// The tutorial's test content, one route per access level. Decisions rest only on the claims of
/// a token this service verified itself; no header a client could set is trusted. The public route
/// looks at no token at all: the tutorial's clients send theirs everywhere, expired or not.
struct ContentController {
    let verifier: AccessTokenVerifier

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("all") { _, _ in
            Self.text("Public Content.")
        }
        let signedIn = group.group()
            .add(middleware: AccessTokenAuthenticator(verifier: self.verifier))
            .add(middleware: RequireAccessToken())
        signedIn.get("user") { _, _ in
            Self.text("User Content.")
        }
        signedIn.get("mod") { _, context in
            guard try context.requireClaims().hasRole(Role.moderator.rawValue) else { throw APIError.requireModerator }
            return Self.text("Moderator Content.")
        }
        signedIn.get("admin") { _, context in
            guard try context.requireClaims().hasRole(Role.admin.rawValue) else { throw APIError.requireAdmin }
            return Self.text("Admin Content.")
        }
    }

    static func text(_ body: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: .init(string: body))
        )
    }
}
