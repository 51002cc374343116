/// The head-sampling rule `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG` name, read as the
/// OpenTelemetry specification reads them: `parentbased_always_on` when unset, a ratio of 1.0 when
/// the argument is. The gateway decides with it before any span exists (``samples(parentSampled:traceIDLow64:)``);
/// every process reads it at start-up, because swift-otel stops the process on a sampler it does not
/// implement (`jaeger_remote`, `xray`) and ignores a ratio outside 0...1: here both are a start-up
/// error that names the setting.
package struct TraceSampling: Sendable, Equatable {
    /// How a trace without a sampled-or-not parent is decided.
    package enum Root: Sendable, Equatable {
        case always
        case never
        /// TraceIdRatioBased: sampled when the trace id's last eight bytes, read as swift-otel reads
        /// them, fall below `ratio` of their range, so every process decides a trace alike.
        case ratio(Double)
    }

    package let root: Root
    /// `parentbased_*`: a request that names a parent follows the parent's sampled flag.
    package let followsParent: Bool

    package init(root: Root, followsParent: Bool) {
        self.root = root
        self.followsParent = followsParent
    }

    package init(environment: [String: String]) throws {
        let name = (environment["OTEL_TRACES_SAMPLER"] ?? "").lowercased()
        let argument = environment["OTEL_TRACES_SAMPLER_ARG"].flatMap { $0.isEmpty ? nil : $0 }
        let ratio: Double
        if let argument {
            guard let value = Double(argument), (0.0...1.0).contains(value) else {
                throw ConfigurationError(message: "OTEL_TRACES_SAMPLER_ARG must be a sampling ratio from 0 to 1, not \(argument)")
            }
            ratio = value
        } else {
            ratio = 1.0
        }
        switch name {
        case "", "parentbased_always_on": self.init(root: .always, followsParent: true)
        case "parentbased_always_off": self.init(root: .never, followsParent: true)
        case "parentbased_traceidratio": self.init(root: .ratio(ratio), followsParent: true)
        case "always_on": self.init(root: .always, followsParent: false)
        case "always_off": self.init(root: .never, followsParent: false)
        case "traceidratio": self.init(root: .ratio(ratio), followsParent: false)
        default:
            throw ConfigurationError(
                message: "OTEL_TRACES_SAMPLER must be always_on, always_off, traceidratio or parentbased_ with one of those, not \(name)"
            )
        }
    }

    /// Whether a trace is sampled: `parentSampled` is the received parent's flag (`nil` without a
    /// parent), `traceIDLow64` the trace id's last eight bytes as a little-endian integer (for a
    /// trace not started yet, any uniformly random value: the ratio is then a coin of that weight).
    package func samples(parentSampled: Bool?, traceIDLow64: UInt64) -> Bool {
        if let parentSampled, self.followsParent { return parentSampled }
        switch self.root {
        case .always: return true
        case .never: return false
        case .ratio(let ratio):
            // The bound as swift-otel's TraceIdRatioBased sampler computes it.
            if ratio >= 1 { return true }
            return ratio > 0 && traceIDLow64 < UInt64(ratio * Double(UInt64.max))
        }
    }
}
