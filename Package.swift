// swift-tools-version:6.2
import PackageDescription

let sharedSwiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

/// Every module a target may import, under the name it is imported by. Each target lists exactly
/// the modules it imports (`uses`), so the manifest and the code cannot drift apart.
let products: [String: Target.Dependency] = [
    "AsyncHTTPClient": .product(name: "AsyncHTTPClient", package: "async-http-client"),
    "Configuration": .product(name: "Configuration", package: "swift-configuration"),
    "Crypto": .product(name: "Crypto", package: "swift-crypto"),
    "_CryptoExtras": .product(name: "_CryptoExtras", package: "swift-crypto"),
    "HTTPTypes": .product(name: "HTTPTypes", package: "swift-http-types"),
    "Hummingbird": .product(name: "Hummingbird", package: "hummingbird"),
    "HummingbirdTesting": .product(name: "HummingbirdTesting", package: "hummingbird"),
    "HummingbirdAuth": .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
    "HummingbirdBcrypt": .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
    "JWTKit": .product(name: "JWTKit", package: "jwt-kit"),
    "Logging": .product(name: "Logging", package: "swift-log"),
    "Metrics": .product(name: "Metrics", package: "swift-metrics"),
    "MetricsTestKit": .product(name: "MetricsTestKit", package: "swift-metrics"),
    "NIOCore": .product(name: "NIOCore", package: "swift-nio"),
    "NIOEmbedded": .product(name: "NIOEmbedded", package: "swift-nio"),
    "NIOHTTP1": .product(name: "NIOHTTP1", package: "swift-nio"),
    "NIOPosix": .product(name: "NIOPosix", package: "swift-nio"),
    "NIOSSL": .product(name: "NIOSSL", package: "swift-nio-ssl"),
    "NIOTLS": .product(name: "NIOTLS", package: "swift-nio"),
    "PostgresNIO": .product(name: "PostgresNIO", package: "postgres-nio"),
    "Prometheus": .product(name: "Prometheus", package: "swift-prometheus"),
    "ServiceLifecycle": .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
    "OTel": .product(name: "OTel", package: "swift-otel"),
    "Tracing": .product(name: "Tracing", package: "swift-distributed-tracing"),
    "InMemoryTracing": .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
    "W3CTraceContext": .product(name: "W3CTraceContext", package: "swift-w3c-trace-context"),
]

/// The dependencies of a target that imports `modules`: a package's product, or a target of ours.
func uses(_ modules: String...) -> [Target.Dependency] {
    modules.map { products[$0] ?? .target(name: $0) }
}

extension Target {
    static func library(_ name: String, path: String? = nil, uses dependencies: [Target.Dependency]) -> Target {
        .target(name: name, dependencies: dependencies, path: path, swiftSettings: sharedSwiftSettings)
    }

    static func service(_ name: String, uses dependencies: [Target.Dependency], resources: [Resource]? = nil, settings: [SwiftSetting] = []) -> Target {
        .executableTarget(name: name, dependencies: dependencies, resources: resources, swiftSettings: sharedSwiftSettings + settings)
    }

    static func tests(_ name: String, uses dependencies: [Target.Dependency]) -> Target {
        .testTarget(name: name, dependencies: dependencies, swiftSettings: sharedSwiftSettings)
    }
}

let package = Package(
    name: "auth-backend",
    products: [
        .executable(name: "Gateway", targets: ["Gateway"]),
        .executable(name: "AuthService", targets: ["AuthService"]),
        .executable(name: "ContentService", targets: ["ContentService"]),
    ],
    traits: [
        .trait(
            name: "BenchmarkVariants",
            description: "Adds BENCH_* switches that turn a check off, so make bench can price it. Never in a deployment."
        ),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        // OTLP over HTTP only: the gRPC exporter's dependencies would double the build for nothing we use.
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
        .package(url: "https://github.com/swift-otel/swift-w3c-trace-context.git", from: "1.0.0"),
    ],
    targets: [
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "CArgon2", pkgConfig: "libargon2", providers: [.apt(["libargon2-dev"])]),
        // A C target, not a system library: Foundation's private ICU module would clash with
        // Debian's ICU headers in Swift (see Sources/CICU/include/authicu.h). Debian: libicu-dev.
        .target(name: "CICU", linkerSettings: [.linkedLibrary("icui18n"), .linkedLibrary("icuuc"), .linkedLibrary("icudata")]),
        .library("Redis", uses: uses("CHiredis", "Configuration", "Logging", "Metrics", "NIOCore", "NIOPosix", "NIOSSL", "ServiceLifecycle", "Tracing")),
        .library("SMTP", uses: uses("NIOCore", "NIOPosix", "NIOSSL", "NIOTLS")),
        // The contract the gateway and both services share: tokens, the revocation stream, errors, roles,
        // configuration, logs and metrics. No web framework: the gateway is plain NIO.
        .library("Common", uses: uses(
            "AsyncHTTPClient", "Configuration", "Crypto", "HTTPTypes", "JWTKit", "Logging", "Metrics", "NIOCore", "NIOPosix",
            "OTel", "Prometheus", "ServiceLifecycle"
        )),
        // The Hummingbird kit of the auth and content services: their middleware, health and metrics routes.
        .library("ServiceKit", uses: uses(
            "Common", "HTTPTypes", "Hummingbird", "HummingbirdAuth", "Logging", "NIOCore", "NIOPosix", "Prometheus"
        )),
        .service("AuthService", uses: uses(
            "CArgon2", "CICU", "Common", "ServiceKit", "Redis", "SMTP", "Configuration", "Crypto", "HTTPTypes", "Hummingbird", "HummingbirdBcrypt",
            "JWTKit", "Logging", "Metrics", "NIOCore", "NIOPosix", "NIOSSL", "PostgresNIO", "Prometheus", "ServiceLifecycle", "Tracing"
        )),
        .service("ContentService", uses: uses(
            "Common", "ServiceKit", "AsyncHTTPClient", "Configuration", "Hummingbird", "Logging", "NIOCore", "Prometheus", "ServiceLifecycle"
        )),
        .service(
            "Gateway",
            uses: uses(
                "Common", "Redis", "AsyncHTTPClient", "Configuration", "HTTPTypes", "Logging", "Metrics", "NIOCore", "NIOHTTP1",
                "NIOPosix", "Prometheus", "ServiceLifecycle", "Tracing", "W3CTraceContext"
            ),
            resources: [.copy("Resources")],
            settings: [.define("BENCHMARK_VARIANTS", .when(traits: ["BenchmarkVariants"]))]
        ),
        // The fixtures several test targets share: a hand-moved clock, a token mint, the test Redis.
        .library("TestSupport", path: "Tests/TestSupport", uses: uses("Common", "Redis", "Crypto", "JWTKit")),
        .tests("RedisTests", uses: uses("Redis", "TestSupport", "Configuration", "NIOPosix")),
        .tests("SMTPTests", uses: uses("SMTP", "NIOCore", "NIOEmbedded")),
        .tests("CommonTests", uses: uses("Common", "ServiceKit", "TestSupport", "AsyncHTTPClient", "Configuration", "Crypto", "Hummingbird", "HummingbirdTesting", "JWTKit", "Logging")),
        .tests("AuthServiceTests", uses: uses(
            "AuthService", "Common", "ServiceKit", "TestSupport", "Redis", "Hummingbird", "HummingbirdBcrypt", "HummingbirdTesting", "JWTKit", "Logging",
            "NIOSSL", "PostgresNIO", "ServiceLifecycle"
        )),
        .tests("ContentServiceTests", uses: uses("ContentService", "Common", "TestSupport", "Hummingbird", "HummingbirdTesting")),
        .tests("GatewayTests", uses: uses(
            "Gateway", "Common", "Redis", "TestSupport", "AsyncHTTPClient", "Logging", "Metrics", "MetricsTestKit", "NIOCore",
            "NIOEmbedded", "NIOHTTP1", "NIOPosix", "Prometheus", "ServiceLifecycle", "InMemoryTracing", "Tracing", "W3CTraceContext"
        )),
    ]
)

// The benchmark's own tools are built only for `make bench`, which sets ENABLE_AUTH_BENCHMARKS (as
// hummingbird keeps its benchmarks behind ENABLE_HB_BENCHMARKS): the package builds the three services.
if Context.environment["ENABLE_AUTH_BENCHMARKS"] != nil {
    package.targets.append(
        .executableTarget(
            name: "TokenVerificationBench",
            dependencies: uses("Common", "JWTKit", "_CryptoExtras"),
            path: "Benchmarks/TokenVerificationBench",
            swiftSettings: sharedSwiftSettings
        )
    )
}
