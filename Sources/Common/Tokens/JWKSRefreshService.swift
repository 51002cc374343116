import Logging
import ServiceLifecycle

/// Loads the JWKS at start, retrying quickly until the auth service answers, then refreshes it
/// periodically so that retired keys stop being accepted.
package struct JWKSRefreshService: Service {
    private let provider: JWKSKeyProvider
    private let refreshInterval: Duration
    private let retryInterval: Duration

    package init(provider: JWKSKeyProvider, refreshInterval: Duration = .seconds(300), retryInterval: Duration = .milliseconds(250)) {
        self.provider = provider
        self.refreshInterval = refreshInterval
        self.retryInterval = retryInterval
    }

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let loaded = (try? await self.provider.refresh()) != nil
                let pause = loaded ? self.refreshInterval : self.retryInterval
                try? await Task.sleep(for: pause)
            }
        }
    }
}
