import Metrics

/// The counters of security-relevant events, labelled by outcome, for dashboards and alerts (the
/// audit trail, in the auth service, records the events themselves).
package enum AuthMetrics {
    package static func signin(_ outcome: String) {
        Counter(label: "auth_signins_total", dimensions: [("outcome", outcome)]).increment()
    }

    package static func signup(_ outcome: String) {
        Counter(label: "auth_signups_total", dimensions: [("outcome", outcome)]).increment()
    }

    package static func refresh(_ outcome: String) {
        Counter(label: "auth_refreshes_total", dimensions: [("outcome", outcome)]).increment()
    }

    package static func signout(_ scope: String) {
        Counter(label: "auth_signouts_total", dimensions: [("scope", scope)]).increment()
    }

    package static func rateLimited(_ action: String) {
        Counter(label: "auth_rate_limited_total", dimensions: [("action", action)]).increment()
    }

    package static func tokenRefused(_ reason: String) {
        Counter(label: "auth_access_tokens_refused_total", dimensions: [("reason", reason)]).increment()
    }

    package static func redisUnavailable() {
        Counter(label: "redis_unavailable_total").increment()
    }
}
