import Common
import Testing

@Suite("The trace sampling rule read from OTEL_TRACES_SAMPLER")
struct TraceSamplingTests {
    @Test("unset is parentbased_always_on; every sampler the specification names for SDKs is read")
    func names() throws {
        #expect(try TraceSampling(environment: [:]) == TraceSampling(root: .always, followsParent: true))
        let expected: [String: TraceSampling] = [
            "always_on": TraceSampling(root: .always, followsParent: false),
            "always_off": TraceSampling(root: .never, followsParent: false),
            "traceidratio": TraceSampling(root: .ratio(0.25), followsParent: false),
            "parentbased_always_on": TraceSampling(root: .always, followsParent: true),
            "parentbased_always_off": TraceSampling(root: .never, followsParent: true),
            "PARENTBASED_TRACEIDRATIO": TraceSampling(root: .ratio(0.25), followsParent: true),
        ]
        for (name, sampling) in expected {
            #expect(try TraceSampling(environment: ["OTEL_TRACES_SAMPLER": name, "OTEL_TRACES_SAMPLER_ARG": "0.25"]) == sampling, "\(name)")
        }
        #expect(try TraceSampling(environment: ["OTEL_TRACES_SAMPLER": "traceidratio"]) == TraceSampling(root: .ratio(1), followsParent: false))
    }

    @Test("a sampler swift-otel would stop the process on, or a ratio outside 0...1, is a start-up error", arguments: [
        ["OTEL_TRACES_SAMPLER": "jaeger_remote"],
        ["OTEL_TRACES_SAMPLER": "parentbased_jaeger_remote"],
        ["OTEL_TRACES_SAMPLER": "xray"],
        ["OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "1.5"],
        ["OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "-0.1"],
        ["OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "ten percent"],
    ])
    func refused(environment: [String: String]) {
        #expect(throws: ConfigurationError.self) { try TraceSampling(environment: environment) }
    }

    @Test("parentbased follows the parent's flag either way; the others decide as for a root")
    func parents() {
        let following = TraceSampling(root: .never, followsParent: true)
        #expect(following.samples(parentSampled: true, traceIDLow64: .max))
        #expect(!following.samples(parentSampled: false, traceIDLow64: 0))
        #expect(!following.samples(parentSampled: nil, traceIDLow64: 0))
        let own = TraceSampling(root: .always, followsParent: false)
        #expect(own.samples(parentSampled: false, traceIDLow64: .max))
        #expect(!TraceSampling(root: .never, followsParent: false).samples(parentSampled: true, traceIDLow64: 0))
    }

    @Test("a ratio samples below swift-otel's bound, ratio × UInt64.max, and nothing at 0")
    func ratioBound() {
        let tenth = TraceSampling(root: .ratio(0.1), followsParent: true)
        let bound = UInt64(0.1 * Double(UInt64.max))
        #expect(tenth.samples(parentSampled: nil, traceIDLow64: bound - 1))
        #expect(!tenth.samples(parentSampled: nil, traceIDLow64: bound))
        #expect(!TraceSampling(root: .ratio(0), followsParent: true).samples(parentSampled: nil, traceIDLow64: 0))
        #expect(TraceSampling(root: .ratio(1), followsParent: true).samples(parentSampled: nil, traceIDLow64: .max))
    }
}
