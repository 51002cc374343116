import Foundation
import Logging
import OTel
import ServiceLifecycle

/// Traces across the gateway and the services, exported over OTLP/HTTP by swift-otel, with W3C
/// `traceparent` / `tracestate` propagation. Off unless an OTLP endpoint is configured: then no
/// tracer is bootstrapped, spans are the no-op tracer's, and the gateway starts none at all.
///
/// Read from the environment by swift-otel, as the OpenTelemetry specification names them:
/// `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), `OTEL_EXPORTER_OTLP_PROTOCOL`
/// (`http/protobuf`, the default, or `http/json`), `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG`,
/// `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_BSP_*`, `OTEL_EXPORTER_OTLP_HEADERS` and
/// the certificate settings; `OTEL_SDK_DISABLED=true` turns it off. Logs and metrics stay ours.
package enum TraceExport {
    /// What a process that traces runs and decides with.
    package struct Started: Sendable {
        /// The exporter, to run with the others and stop after the server (its last spans are sent then).
        package let exporter: any Service
        /// The configured sampling rule.
        package let sampling: TraceSampling
    }

    /// Whether `environment` turns traces on.
    package static func isConfigured(_ environment: [String: String]) -> Bool {
        guard environment["OTEL_SDK_DISABLED"]?.lowercased() != "true" else { return false }
        return !(environment["OTEL_EXPORTER_OTLP_ENDPOINT"] ?? "").isEmpty || !(environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] ?? "").isEmpty
    }

    /// Bootstraps the process's tracer when traces are on, or returns `nil` when they are off.
    /// `decidesSampling`: the caller applies the sampling rule itself before it starts a span (the
    /// gateway, so that a request the sample leaves out costs no span), and the tracer records every
    /// span it is asked for.
    package static func bootstrap(
        serviceName: String,
        logger: Logger,
        decidesSampling: Bool = false,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> Started? {
        guard Self.isConfigured(environment) else { return nil }
        let sampling = try TraceSampling(environment: environment)
        var configuration = OTel.Configuration.default
        configuration.serviceName = serviceName
        configuration.diagnosticLogger = .custom(logger)
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        var environment = environment
        if decidesSampling {
            configuration.traces.sampler = .alwaysOn
            environment["OTEL_TRACES_SAMPLER"] = nil
            environment["OTEL_TRACES_SAMPLER_ARG"] = nil
        }
        return Started(exporter: try OTel.bootstrap(configuration: configuration, environment: environment), sampling: sampling)
    }
}
