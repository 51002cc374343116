import NIOCore

/// One request on a client connection, from its head to the end of its answer: what the gateway
/// read and decided about it, and how far it has gone towards a service.
final class Exchange {
    let head: RequestHead
    let facts: RequestHeaderFacts
    /// The routed path (no query, no fragment), or `-` when the target has none.
    let path: Substring
    let requestID: String
    let started: NIODeadline
    let allowedOrigin: String?
    var route: GatewayRoute?
    /// The access token the request carries: from `x-access-token` or `Authorization: Bearer`, else
    /// (in cookie mode) from the access cookie, which a token header always wins over.
    var credential = RequestCredential.none
    var credentialFromCookie = false
    /// The session cookies (cookie mode only).
    var cookies = SessionCookies()
    /// The token the service receives (`Authorization: Bearer`): the one the gateway checked on a
    /// protected route, the request's own on a route that ``GatewayRoute/passesToken``, else none.
    var forwardedToken: String?
    /// The request body, as it arrives, until it goes upstream.
    var body: ByteBuffer?
    /// The request went upstream with a body (such a request is never sent twice).
    var sentBody = false
    /// The body and the end of the request have all arrived.
    var requestEnded = false
    var phase = Phase.checking
    /// The status of the answer, once its head is written.
    var status: Int?
    /// How the answer's body is framed for the client, once its head is written.
    var framing = ClientFraming.empty
    /// The request's span, when the gateway traces.
    var trace: RequestTrace?
    /// What the checks decided, for the span.
    var check = GatewayCheck.localAnswer

    enum Phase {
        /// Checks (rate limit, token) or a local answer in progress.
        case checking
        /// Checks passed; the rest of the body is awaited before anything goes upstream.
        case awaitingBody
        /// On its way to a service, or back from it.
        case upstream(UpstreamLeg)
        /// Nothing more goes to or comes from a service.
        case done
    }

    init(head: RequestHead, facts: RequestHeaderFacts, path: Substring, requestID: String, started: NIODeadline, allowedOrigin: String?) {
        self.head = head
        self.facts = facts
        self.path = path
        self.requestID = requestID
        self.started = started
        self.allowedOrigin = allowedOrigin
    }

    var isHEAD: Bool { self.head.method == .HEAD }
    var answerStarted: Bool { self.status != nil }

    var upstream: UpstreamLeg? {
        if case .upstream(let leg) = self.phase { return leg }
        return nil
    }

    /// Keeps a part of the body, unless the request was answered already (then it is dropped).
    func append(body part: ByteBuffer) {
        switch self.phase {
        case .checking, .awaitingBody:
            if self.body == nil {
                self.body = part
            } else {
                var part = part
                self.body!.writeBuffer(&part)
            }
        case .upstream, .done:
            break
        }
    }
}

/// The part of an exchange that involves a service: the connection its request went out on, and
/// what came back.
final class UpstreamLeg {
    let pool: UpstreamPool
    var connection: UpstreamConnection?
    /// The connection came from the pool (it may have been closed by the service meanwhile).
    var reused = false
    /// The request was sent again on a fresh connection once.
    var retried = false
    /// Every byte of the request went out: only then may the connection be reused.
    var requestWritten = false
    /// The service must have started its answer by then (`UPSTREAM_TIMEOUT` after the request went).
    var deadline: NIODeadline?
    /// The answer's head arrived.
    var answered = false
    /// Answer bytes not yet written to the client (see ``HeldAnswer``).
    var held: HeldAnswer?
    /// Reading from the service is paused until the client takes what was written.
    var pausedForClient = false
    /// Large or unsized answers are flushed part by part; small ones once, at their end.
    var flushesEachPart = false

    init(pool: UpstreamPool) {
        self.pool = pool
    }
}

/// A service's answer kept back whole: a small one until its end, so that a service dying in the
/// middle of it still leaves the client a 503 rather than a cut connection; one announcing a
/// revocation until this gateway enforces it.
struct HeldAnswer {
    var parts: [ByteBuffer]
    /// The answer's end is among the parts.
    var ended = false
    /// Released when the announced revocation is enforced, not at the answer's end.
    var awaitsRevocation: Bool
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

extension SplitMix64 {
    /// A new request id: 16 hex digits of the loop's sequence. An id correlates log lines across
    /// services, it grants nothing, so it need not be unpredictable, only unique.
    mutating func nextRequestID() -> String {
        let value = self.next()
        return String(unsafeUninitializedCapacity: 16) { digits in
            LowerHex.write(value, into: digits, at: 0)
            return 16
        }
    }
}
