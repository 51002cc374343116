import Common
import Logging
import NIOCore

/// What every client connection consults: the routes, the checks, the limits and where to log. One
/// value shared by all connections; per-loop mutable state lives in ``EventLoopState``.
struct GatewayConnectionContext: Sendable {
    let routes: RouteMatcher
    let gate: AccessTokenGate
    let cors: CORSPolicy
    let sessionCookies: SessionCookieSettings
    let timeouts: ClientTimeouts
    let maxBodyBytes: Int
    let upstreamTimeout: TimeAmount
    let rateLimit: ClientRateLimit
    let clientAddresses: ClientAddressResolver
    let local: LocalResponses
    /// `nil` when request lines are not logged (`LOG_LEVEL` above `info`).
    let requestLog: RequestLog?
    /// A span per request (``TraceExport``); `nil` when off: no trace work at all.
    let tracing: RequestTrace.Tracing?
    /// Asked again when a token names a key this gateway does not know.
    let keys: JWKSKeyProvider
    let states: EventLoopStates
    let logger: Logger

    /// How long the answer to a revoking request waits for this gateway to enforce the revocation.
    static let revocationWait = TimeAmount.seconds(1)
}
