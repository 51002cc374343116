import Common
import InMemoryTracing
import Testing
import Tracing
import W3CTraceContext

@testable import Gateway

@Suite("The gateway's sampling decision, made before any span")
struct RequestTraceTests {
    private let clientTrace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331"

    private func trace(
        _ sampling: TraceSampling, traceparent: String? = nil, tracestate: String? = nil, tracer: InMemoryTracer, random: inout SplitMix64
    ) -> RequestTrace {
        RequestTrace(
            method: "GET", traceparent: traceparent, tracestate: tracestate, tracing: RequestTrace.Tracing(sampling: sampling, tracer: tracer),
            random: &random
        )
    }

    private func forwarded(_ trace: RequestTrace) throws -> TraceContext {
        let fields = Dictionary(uniqueKeysWithValues: trace.forwardedFields.map { ($0.name, $0.value) })
        return try TraceContext(traceParentHeaderValue: try #require(fields["traceparent"]), traceStateHeaderValue: fields["tracestate"])
    }

    @Test("a root left out of the sample starts no span; the service gets a new trace marked not sampled")
    func unsampledRoot() throws {
        let tracer = InMemoryTracer()
        var random = SplitMix64(seed: 1)
        let trace = self.trace(TraceSampling(root: .ratio(0), followsParent: true), tracer: tracer, random: &random)
        let context = try self.forwarded(trace)
        #expect(tracer.activeSpans.isEmpty)
        #expect(!context.flags.contains(.sampled))
        #expect(context.traceID != .null && context.spanID != .null)
        #expect(trace.forwardedFields.count == 1, "no tracestate was received, none is made up")
        let field = try #require(trace.forwardedFields.first?.value)
        #expect(field.wholeMatch(of: /00-[0-9a-f]{32}-[0-9a-f]{16}-00/) != nil, "\(field)")
        #expect(field == "00-\(context.traceID)-\(context.spanID)-00", "what TraceContext reads back is what was written")
    }

    @Test("a parent not sampled is followed: same trace, the client's tracestate, a span id of the gateway's, no span")
    func unsampledParent() throws {
        let tracer = InMemoryTracer()
        var random = SplitMix64(seed: 2)
        let trace = self.trace(
            TraceSampling(root: .always, followsParent: true), traceparent: self.clientTrace + "-00", tracestate: "vendor=abc", tracer: tracer,
            random: &random
        )
        let context = try self.forwarded(trace)
        #expect(tracer.activeSpans.isEmpty)
        #expect(context.traceID.description == "0af7651916cd43dd8448eb211c80319c")
        #expect(context.spanID.description != "b7ad6b7169203331")
        #expect(!context.flags.contains(.sampled))
        #expect(context.traceStateHeaderValue == "vendor=abc")
    }

    @Test("a sampled parent is followed: the tracer's span, and the fields it injects")
    func sampledParent() {
        let tracer = InMemoryTracer()
        var random = SplitMix64(seed: 3)
        let trace = self.trace(TraceSampling(root: .never, followsParent: true), traceparent: self.clientTrace + "-01", tracer: tracer, random: &random)
        #expect(tracer.activeSpans.count == 1)
        #expect(trace.forwardedFields.contains { $0.name == InMemoryTracer.spanIDKey })
        trace.end(route: "/api/test/user", status: 200, check: .tokenAccepted)
        #expect(tracer.finishedSpans.map(\.operationName) == ["GET /api/test/user"])
    }

    @Test("a sampler that does not follow parents decides on its own, and an unreadable traceparent starts a root")
    func ownDecision() throws {
        let tracer = InMemoryTracer()
        var random = SplitMix64(seed: 4)
        let refused = self.trace(TraceSampling(root: .never, followsParent: false), traceparent: self.clientTrace + "-01", tracer: tracer, random: &random)
        #expect(tracer.activeSpans.isEmpty)
        #expect(try !self.forwarded(refused).flags.contains(.sampled))
        let garbled = self.trace(TraceSampling(root: .never, followsParent: true), traceparent: "00-zz-01", tracer: tracer, random: &random)
        #expect(tracer.activeSpans.isEmpty)
        #expect(try self.forwarded(garbled).traceID.description != "0af7651916cd43dd8448eb211c80319c")
    }

    @Test("at a 10 % ratio, about one root in ten gets a span")
    func ratio() {
        let tracer = InMemoryTracer()
        var random = SplitMix64(seed: 5)
        for _ in 0..<2_000 {
            self.trace(TraceSampling(root: .ratio(0.1), followsParent: true), tracer: tracer, random: &random)
                .end(route: nil, status: 200, check: .publicRoute)
        }
        #expect((150...250).contains(tracer.finishedSpans.count), "\(tracer.finishedSpans.count) of 2,000")
    }
}
