import Foundation
import Common
import NIOCore
import NIOHTTP1

/// Lets a request to a protected route through only with a valid, unrevoked access token: 403
/// without one, 401 for a bad, expired or revoked one, 503 while this loop's copy of the revocation
/// record is not known to be current (fail closed). Role decisions stay with the service that owns
/// the route. Everything here is synchronous on the connection's event loop: a seen token costs a
/// dictionary lookup, not a signature check.
struct AccessTokenGate: Sendable {
    let rules: AccessTokenRules
    /// `MFA_REQUIRED_ROLES`.
    var secondFactorRoles: Set<String> = []

    static let secondFactorRequired = APIError(.forbidden, "Two-factor authentication required")

    /// Whether a valid token may not reach `route` yet: it holds a role that requires a second factor
    /// and its session proved none. Enrolment and signout stay open, so that its owner can enrol.
    func lacksSecondFactor(_ claims: AccessTokenClaims, for route: GatewayRoute) -> Bool {
        // Unset by default: then one check on every protected request, nothing read from the token.
        !self.secondFactorRoles.isEmpty && !route.reachableWithoutSecondFactor && !claims.hasSecondFactor
            && claims.roles.contains(where: self.secondFactorRoles.contains)
    }

    enum Verdict {
        case pass(AccessTokenClaims)
        case refuse(APIError)
        /// Signed with a key this loop does not know (yet): look at the JWKS again, then retry.
        case unknownKey
    }

    /// The check of a token read from the head (``RequestHeaderFacts/credential``).
    func check(token: String?, state: EventLoopState, wallClock: Double, now: NIODeadline) -> Verdict {
        guard let token else {
            return .refuse(.noToken)
        }
        let claims: AccessTokenClaims
        do {
            if let cached = state.verifiedTokens.claims(for: token, now: wallClock, keys: state.keys) {
                try self.rules.checkTimes(cached, now: wallClock)
                claims = cached
            } else {
                let verified = try self.rules.verifiedToken(token, keys: state.keys, now: wallClock)
                claims = verified.claims
                state.verifiedTokens.insert(claims, kid: verified.kid, for: token, now: wallClock)
            }
        } catch {
            if error.code == .unknownKey { return .unknownKey }
            AuthMetrics.tokenRefused(error.code.description)
            return .refuse(error.apiError)
        }
        #if BENCHMARK_VARIANTS
        if Self.benchmarkSkipsRevocation { return .pass(claims) }
        #endif
        guard state.revocations.isCurrent(now: now) else {
            AuthMetrics.redisUnavailable()
            return .refuse(.serviceUnavailable)
        }
        if state.revocations.isRevoked(claims) {
            AuthMetrics.tokenRefused("revoked")
            return .refuse(.unauthorized)
        }
        return .pass(claims)
    }

    #if BENCHMARK_VARIANTS
    /// `BENCH_SKIP_REVOCATION_CHECK=1`, in a build with the `BenchmarkVariants` trait only: lets
    /// `make bench` price the revocation check. No production build contains this switch.
    static let benchmarkSkipsRevocation = ProcessInfo.processInfo.environment["BENCH_SKIP_REVOCATION_CHECK"] == "1"
    #endif

}
