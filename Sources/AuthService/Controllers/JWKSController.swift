import Common
import Foundation
import Hummingbird

/// `GET /.well-known/jwks.json`: the public keys that verify our access tokens (RFC 7517).
struct JWKSController: Sendable {
    let jwks: JWKSDocument

    func addRoutes(to router: Router<AppRequestContext>) {
        let body = (try? JSONEncoder.sortedKeys.encode(self.jwks)) ?? Data()
        router.get(".well-known/jwks.json") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/json", .cacheControl: "public, max-age=300"],
                body: .init(byteBuffer: .init(bytes: body))
            )
        }
    }
}
