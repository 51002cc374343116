import Metrics
import NIOCore
import NIOHTTP1

/// Request counters and durations by route, method and status, under the names Hummingbird's
/// metrics middleware gives the other services (`hb_requests`, `http_server_request_duration`).
/// One per event loop: the handles are looked up once per label set, then only recorded into.
final class RequestMetrics {
    private struct Key: Hashable {
        var route: String
        var method: String
        var status: Int
    }

    private var handles: [Key: (counter: Counter, timer: Timer)] = [:]

    func record(route: String?, method: HTTPMethod, status: Int, nanoseconds: UInt64) {
        let key = Key(route: route ?? "NotFound", method: Self.label(method), status: status)
        let handle: (counter: Counter, timer: Timer)
        if let existing = self.handles[key] {
            handle = existing
        } else {
            let dimensions = [("http.route", key.route), ("http.request.method", key.method), ("http.response.status_code", String(key.status))]
            handle = (Counter(label: "hb.requests", dimensions: dimensions), Timer(label: "http.server.request.duration", dimensions: dimensions, preferredDisplayUnit: .seconds))
            self.handles[key] = handle
        }
        handle.counter.increment()
        handle.timer.recordNanoseconds(Int64(clamping: nanoseconds))
    }

    /// A client may send any method name; labels stay few (every label set is kept for ever).
    private static func label(_ method: HTTPMethod) -> String {
        switch method {
        case .GET, .HEAD, .POST, .PUT, .PATCH, .DELETE, .OPTIONS: method.rawValue
        default: "other"
        }
    }
}
