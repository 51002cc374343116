import AsyncHTTPClient
import Foundation
import Logging
import NIOCore

/// Public keys fetched from the auth service's JWKS.
///
/// Fetched at start (by ``JWKSRefreshService``), refreshed periodically, and fetched again when a
/// token names an unknown `kid`, at most once per cooldown so that junk `kid`s cannot turn a
/// verifier into a load generator against the auth service. Every new key set is also handed to
/// `onUpdate`, for holders that keep their own copy (the gateway's event loops).
package actor JWKSKeyProvider: VerificationKeyProvider {
    private let url: String
    private let httpClient: HTTPClient
    private let cooldown: Double
    private let clock: any WallClock
    private let logger: Logger
    private let onUpdate: @Sendable (VerificationKeySet) -> Void
    private var keys = VerificationKeySet()
    private var lastAttempt: Double = -.infinity

    package init(
        url: String,
        httpClient: HTTPClient,
        cooldown: Double = 10,
        clock: any WallClock = SystemWallClock(),
        logger: Logger,
        onUpdate: @escaping @Sendable (VerificationKeySet) -> Void = { _ in }
    ) {
        self.url = url
        self.httpClient = httpClient
        self.cooldown = cooldown
        self.clock = clock
        self.logger = logger
        self.onUpdate = onUpdate
    }

    package var hasKeys: Bool { !self.keys.isEmpty }

    package func currentKeys() async -> VerificationKeySet { self.keys }

    package func refreshedKeys() async -> VerificationKeySet {
        if self.clock.now() - self.lastAttempt >= self.cooldown {
            try? await self.refresh()
        }
        return self.keys
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
            let document = try JSONDecoder().decode(JWKSDocument.self, from: Data(body.readableBytesView))
            let keys = try await VerificationKeySet(jwks: document)
            guard !keys.isEmpty else { throw SigningKeyError(message: "JWKS has no usable key") }
            if keys.kids != self.keys.kids {
                self.logger.info("Verification keys loaded", metadata: ["kids": "\(keys.kids)"])
            }
            self.keys = keys
            self.onUpdate(keys)
        } catch {
            self.logger.warning("JWKS fetch failed", metadata: ["url": "\(self.url)", "error": "\(error)"])
            throw error
        }
    }
}
