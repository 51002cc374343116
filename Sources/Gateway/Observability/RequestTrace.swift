import Common
import Tracing
import W3CTraceContext

/// The gateway's span of one request (only when ``TraceExport`` is on): it continues the client's
/// W3C trace (`traceparent`, `tracestate`) or starts one, and the service receives the gateway's own
/// span as its parent. It records the method, the route as the OpenAPI document writes it, the
/// status and what the checks decided: never a token, a path with an id in it, or a query.
///
/// The sampling rule is applied here, before any span exists: a request the sample leaves out costs
/// no span, only a `traceparent` of the loop's own ids with the sampled flag off, so that the
/// services (following their parent, as the default sampler does) record nothing of it either.
final class RequestTrace {
    private var span: (any Span)?
    private let method: String
    /// `traceparent` and `tracestate` naming this span, written to the service in place of the client's.
    let forwardedFields: [(name: String, value: String)]

    /// The process's tracer, looked up once (`InstrumentationSystem`'s getters take a lock each
    /// time), and the sampling rule it was configured with.
    struct Tracing: Sendable {
        let tracer: any Tracer
        let sampling: TraceSampling

        init(sampling: TraceSampling, tracer: any Tracer = InstrumentationSystem.tracer) {
            self.tracer = tracer
            self.sampling = sampling
        }
    }

    /// `random`: the loop's ids, for the trace and span ids of a request left out of the sample.
    init(method: String, traceparent: String?, tracestate: String?, tracing: Tracing, random: inout SplitMix64) {
        self.method = method
        // An unreadable `traceparent` starts a new trace, as the W3C specification asks.
        let parent = traceparent.flatMap { try? TraceContext(traceParentHeaderValue: $0, traceStateHeaderValue: tracestate) }
        let sampled = tracing.sampling.samples(
            parentSampled: parent.map { $0.flags.contains(.sampled) },
            traceIDLow64: parent.map { Self.low64(of: $0.traceID) } ?? random.next()
        )
        guard sampled else {
            self.span = nil
            let traceparent = Self.notSampled(traceID: parent?.traceID ?? .random(using: &random), spanID: max(random.next(), 1))
            // The client's `tracestate` goes on unchanged with its trace, as a proxy that adds no entry passes it.
            self.forwardedFields = [("traceparent", traceparent)] + (parent != nil ? tracestate.map { [("tracestate", $0)] } ?? [] : [])
            return
        }
        var context = ServiceContext.topLevel
        if parent != nil {
            let received = ReceivedTraceFields(traceparent: traceparent, tracestate: tracestate)
            tracing.tracer.extract(received, into: &context, using: ReceivedTraceFields.Extractor())
        }
        let span = tracing.tracer.startSpan(method, context: context, ofKind: .server)
        var fields: [(name: String, value: String)] = []
        tracing.tracer.inject(span.context, into: &fields, using: FieldsInjector())
        self.span = span
        self.forwardedFields = fields
    }

    /// `00-<trace id>-<span id>-00`: the W3C field with the sampled flag off. Written here rather than
    /// by `TraceContext`'s formatter, which took a fifth of the tracing work of the nine requests in ten
    /// that get no span (perf, 1.1 % of the gateway's CPU).
    private static func notSampled(traceID: TraceID, spanID: UInt64) -> String {
        let (high, low) = withUnsafeBytes(of: traceID.bytes) {
            (UInt64(bigEndian: $0.loadUnaligned(as: UInt64.self)), UInt64(bigEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        }
        return String(unsafeUninitializedCapacity: 55) { field in
            _ = field.initialize(from: "00-".utf8)
            LowerHex.write(high, into: field, at: 3)
            LowerHex.write(low, into: field, at: 19)
            field[35] = UInt8(ascii: "-")
            LowerHex.write(spanID, into: field, at: 36)
            _ = UnsafeMutableBufferPointer(rebasing: field[52...]).initialize(from: "-00".utf8)
            return 55
        }
    }

    /// The trace id's last eight bytes as swift-otel's ratio sampler reads them (native order).
    private static func low64(of traceID: TraceID) -> UInt64 {
        withUnsafeBytes(of: traceID.bytes) { $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self) }
    }

    /// Ends the span with what became of the request: its attributes set at once, a span that is not
    /// sampled records nothing.
    func end(route: String?, status: Int, check: GatewayCheck) {
        guard let span = self.span else { return }
        self.span = nil
        guard span.isRecording else { return span.end() }
        if let route { span.operationName = "\(self.method) \(route)" }
        span.updateAttributes { attributes in
            attributes["http.request.method"] = self.method
            attributes["http.route"] = route
            attributes["http.response.status_code"] = status
            attributes["gateway.check"] = check.rawValue
        }
        if status >= 500 { span.setStatus(SpanStatus(code: .error)) }
        span.end()
    }

    deinit {
        // A request abandoned before its answer (the client went away).
        self.span?.attributes["gateway.check"] = "abandoned"
        self.span?.end()
    }
}

/// What the gateway's checks decided about a request, for its span.
enum GatewayCheck: String {
    /// A public route, forwarded without a token check.
    case publicRoute = "public"
    case tokenAccepted = "token_accepted"
    case tokenRefused = "token_refused"
    case secondFactorRequired = "second_factor_required"
    case rateLimited = "rate_limited"
    case crossSiteRefused = "cross_site_refused"
    /// Answered by the gateway itself (health, JWKS cache, the web app, a malformed request).
    case localAnswer = "local"
}

/// The two trace fields as the client sent them.
private struct ReceivedTraceFields {
    var traceparent: String?
    var tracestate: String?

    struct Extractor: Instrumentation.Extractor {
        func extract(key: String, from carrier: ReceivedTraceFields) -> String? {
            switch key {
            case "traceparent": carrier.traceparent
            case "tracestate": carrier.tracestate
            default: nil
            }
        }
    }
}

private struct FieldsInjector: Instrumentation.Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [(name: String, value: String)]) {
        carrier.append((key, value))
    }
}
