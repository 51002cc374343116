import Common
import NIOCore
import NIOHTTP1

/// One request on a client connection, from its head to the end of its response.
final class Exchange {
    let head: HTTPRequestHead
    let path: Substring
    let requestID: String
    let started: NIODeadline
    let allowedOrigin: String?
    let body: RequestHeadCheck.Body
    var route: GatewayRoute?
    /// From `x-access-token` or `Authorization: Bearer`, as read from the head.
    var credential = RequestCredential.none
    /// The token the service receives (`Authorization: Bearer`): the one the gateway checked on a
    /// protected route, the request's own on a route that ``GatewayRoute/passesToken``, else none.
    var forwardedToken: String?
    /// Every byte of the request went out to the service: only then may its connection be reused.
    var upstreamRequestWritten = false
    /// The client sent `Expect: 100-continue` (any other expectation was refused).
    var expectsContinue = false
    /// Whether the client connection stays open afterwards.
    var keepAlive: Bool

    /// The request's body and end have all arrived.
    var requestEnded = false
    var bodyBytes = 0
    /// The request body, collected (up to the body limit) until the request is complete.
    var pendingBody: [ByteBuffer] = []
    var status: Int?
    var responseEnded = false

    var phase = Phase.checking
    var upstream: UpstreamConnection?
    var upstreamPool: UpstreamPool?
    var upstreamReused = false
    var retried = false
    /// The service must have started its answer by then (`UPSTREAM_TIMEOUT` after the request went).
    var upstreamDeadline: NIODeadline?
    /// Response parts held back until the revocation they announce is enforced here.
    var heldResponse: [HTTPServerResponsePart]?
    var clientPausedUpstream = false
    /// The service will keep its connection open after this response.
    var upstreamKeepsAlive = false
    /// Large or unsized responses are flushed part by part; small ones once, at their end.
    var flushesBody = false

    enum Phase: Equatable {
        /// Checks (rate limit, token) or a local answer in progress.
        case checking
        /// Checks passed; the rest of the body is awaited before anything goes upstream.
        case bufferingBody
        /// Waiting for an upstream connection.
        case connecting
        /// Request written (or being written) upstream, response awaited or flowing.
        case forwarding
        /// The exchange is over as far as the upstream is concerned.
        case done
    }

    init(head: HTTPRequestHead, path: Substring, requestID: String, started: NIODeadline, allowedOrigin: String?, body: RequestHeadCheck.Body) {
        self.head = head
        self.path = path
        self.requestID = requestID
        self.started = started
        self.allowedOrigin = allowedOrigin
        self.body = body
        self.keepAlive = head.isKeepAlive
    }

    var isHEAD: Bool { self.head.method == .HEAD }
    var responseStarted: Bool { self.status != nil }
}

/// Request ids: a sane incoming one is kept (an edge proxy may have set it), else a new one.
enum RequestID {
    static func accept(_ value: String?) -> String? {
        guard let value, (1...128).contains(value.utf8.count), value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            return nil
        }
        return value
    }
}

/// New request ids for one event loop: 16 hex digits of a SplitMix64 sequence from a random seed.
/// `UInt64.random` asks the kernel (getrandom(2)) on every call; this asks it once per loop. An id
/// correlates log lines across services, it grants nothing, so it need not be unpredictable, only
/// unique: distinct 64-bit seeds give sequences that do not meet in any realistic run.
struct RequestIDGenerator {
    private var state: UInt64

    init(seed: UInt64 = .random(in: .min ... .max)) {
        self.state = seed
    }

    mutating func next() -> String {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = self.state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        mixed ^= mixed >> 31
        return String(unsafeUninitializedCapacity: 16) { digits in
            for index in 0..<16 {
                let nibble = UInt8(truncatingIfNeeded: mixed >> (60 - 4 * index)) & 0xF
                digits[index] = nibble < 10 ? 0x30 + nibble : 0x57 + nibble
            }
            return 16
        }
    }
}
