import AsyncHTTPClient
import Foundation
import JWTKit
import Logging
import NIOCore

/// Public keys fetched from the auth service's JWKS.
///
/// Fetched at start (by ``JWKSRefreshService``), refreshed periodically, and fetched again when a
/// token names an unknown `kid`, at most once per cooldown so that junk `kid`s cannot turn the
/// gateway into a load generator against the auth service.
package actor JWKSKeyProvider: VerificationKeyProvider {
    private let url: String
    private let httpClient: HTTPClient
    private let cooldown: Double
    private let clock: any WallClock
    private let logger: Logger
    private var byKID: [String: JWTKeyCollection] = [:]
    private var lastAttempt: Double = -.infinity

    package init(
        url: String,
        httpClient: HTTPClient,
        cooldown: Double = 10,
        clock: any WallClock = SystemWallClock(),
        logger: Logger
    ) {
        self.url = url
        self.httpClient = httpClient
        self.cooldown = cooldown
        self.clock = clock
        self.logger = logger
    }

    package var hasKeys: Bool { !self.byKID.isEmpty }

    package func keys(for kid: String) async -> JWTKeyCollection? {
        if let keys = self.byKID[kid] {
            return keys
        }
        guard self.clock.now() - self.lastAttempt >= self.cooldown else { return nil }
        try? await self.refresh()
        return self.byKID[kid]
    }

    /// Replaces the key set with the one the auth service publishes now.
    package func refresh() async throws {
        self.lastAttempt = self.clock.now()
        do {
            var request = HTTPClientRequest(url: self.url)
            request.method = .GET
            let response = try await self.httpClient.execute(request, timeout: .seconds(3))
            guard response.status == .ok else {
                throw SigningKeyError(message: "JWKS answered \(response.status.code)")
            }
            let body = try await response.body.collect(upTo: 256 * 1024)
            let document = try JSONDecoder().decode(JWKSDocument.self, from: body)
            var byKID: [String: JWTKeyCollection] = [:]
            for key in document.keys where key.kty == "EC" && key.crv == "P-256" && key.alg == AccessTokenHeaderValues.algorithm {
                byKID[key.kid] = try await key.verificationKeys()
            }
            guard !byKID.isEmpty else { throw SigningKeyError(message: "JWKS has no usable key") }
            if Set(byKID.keys) != Set(self.byKID.keys) {
                self.logger.info("Verification keys loaded", metadata: ["kids": "\(byKID.keys.sorted())"])
            }
            self.byKID = byKID
        } catch {
            self.logger.warning("JWKS fetch failed", metadata: ["url": "\(self.url)", "error": "\(error)"])
            throw error
        }
    }
}
