// swift-tools-version:6.1
// The auth service: three processes (gateway, identity, token) and what they share.

import Foundation
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

// The three executables in release builds, linked by lld: relative relocations packed (DT_RELR,
// glibc 2.36 and later; a static-runtime executable has about 130,000, 3 MB as RELA entries that
// the loader reads at start and that stay resident, 25 KB packed), and none of their own symbols
// exported (the static runtime's link flags export all 42,000, whose tables the loader reads too).
let executableLinkerSettings: [LinkerSetting] = [
    .unsafeFlags(
        ["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs", "-Xlinker", "--no-export-dynamic"],
        .when(platforms: [.linux], configuration: .release)
    )
]

let nioCore = Target.Dependency.product(name: "NIOCore", package: "swift-nio")
let nioPosix = Target.Dependency.product(name: "NIOPosix", package: "swift-nio")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let lifecycle = Target.Dependency.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
let metrics = Target.Dependency.product(name: "Metrics", package: "swift-metrics")
let tracing = Target.Dependency.product(name: "Tracing", package: "swift-distributed-tracing")

let package = Package(
    name: "auth-service",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "identity", targets: ["identity"]),
        .executable(name: "token", targets: ["token"]),
        .executable(name: "gateway", targets: ["gateway"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0", traits: []),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        // base64url (already in the graph through jwt-kit).
        .package(url: "https://github.com/swift-extras/swift-extras-base64", from: "1.2.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // Mutual TLS between the processes over TCP (already in the graph through the HTTP stack).
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // Tests only: an independent HTTP client for the end-to-end suite (already in Hummingbird's graph).
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0", traits: []),
        // HTTP/2 for the gateway (already in the graph through Hummingbird).
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.45.0"),
        // The OpenAPI 3.1 document the gateway serves, as typed values (no external loading).
        .package(url: "https://github.com/mattpolzin/OpenAPIKit.git", from: "6.4.0", traits: []),
        // Metrics: the swift-metrics API (already in Hummingbird's graph) with a Prometheus registry.
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // Spans around backend calls for a tracer a deployment plugs in (already in Hummingbird's
        // graph), and the W3C traceparent the gateway accepts, creates and returns.
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        // Mail templates (identity).
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/swift-otel/swift-w3c-trace-context.git", from: "1.0.0"),
    ],
    targets: [
        // MARK: Shared
        .target(
            name: "WireProtocol",
            dependencies: [nioCore, .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            path: "Shared/Sources/WireProtocol",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "AccessControl",
            path: "Shared/Sources/AccessControl",
            swiftSettings: swiftSettings
        ),
        // Reading the environment and saying which variable is wrong.
        .target(
            name: "ServiceConfiguration",
            path: "Shared/Sources/ServiceConfiguration",
            swiftSettings: swiftSettings
        ),
        // What every process runs on: its entry point and logging, the clock, bounded background work.
        .target(
            name: "ServiceRuntime",
            dependencies: [
                "ServiceConfiguration", nioCore, logging, lifecycle, argumentParser, metrics,
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Shared/Sources/ServiceRuntime",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "WireTransport",
            dependencies: [
                "WireProtocol", "ServiceConfiguration", "ServiceRuntime", nioCore, nioPosix, logging, lifecycle, metrics, tracing,
                .product(name: "W3CTraceContext", package: "swift-w3c-trace-context"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Shared/Sources/WireTransport",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "WireTesting",
            dependencies: ["WireProtocol", "WireTransport", nioCore, nioPosix, logging],
            path: "Shared/Sources/WireTesting",
            swiftSettings: swiftSettings
        ),

        // MARK: identity
        .systemLibrary(
            name: "CLibPQ",
            path: "Services/identity/Sources/CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]
        ),
        .systemLibrary(
            name: "CArgon2",
            path: "Services/identity/Sources/CArgon2",
            pkgConfig: "libargon2",
            providers: [.apt(["libargon2-dev"]), .brew(["argon2"])]
        ),
        .systemLibrary(
            name: "CSodium",
            path: "Services/identity/Sources/CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"]), .brew(["libsodium"])]
        ),
        // The shipped password denylist: a text file the assembler embeds (data, not code; a SwiftPM
        // resource would bring Foundation's Bundle into identity).
        .target(
            name: "CommonPasswords",
            path: "Services/identity/Sources/CommonPasswords",
            exclude: ["common-passwords.txt", "LICENSE.txt"],
            // Where the assembler's .incbin finds the list.
            cSettings: [.headerSearchPath(".")]
        ),
        .target(
            name: "IdentityService",
            dependencies: [
                "AccessControl", "WireProtocol", "WireTransport", "ServiceConfiguration", "ServiceRuntime", "CLibPQ", "CArgon2", "CSodium",
                "CommonPasswords", nioCore, .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "ExtrasBase64", package: "swift-extras-base64"),
                nioPosix, logging, lifecycle, metrics,
            ],
            path: "Services/identity/Sources/IdentityService",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "identity",
            dependencies: ["IdentityService", "ServiceConfiguration", "ServiceRuntime", argumentParser, logging, lifecycle],
            path: "Services/identity/Sources/identity",
            swiftSettings: swiftSettings,
            linkerSettings: executableLinkerSettings
        ),

        // MARK: token
        .systemLibrary(
            name: "CHiredis",
            path: "Services/token/Sources/CHiredis",
            providers: [.apt(["libhiredis-dev"]), .brew(["hiredis"])]
        ),
        .target(
            name: "TokenService",
            dependencies: [
                "WireProtocol", "WireTransport", "ServiceConfiguration", "ServiceRuntime", "CHiredis", nioCore, nioPosix, logging, lifecycle, metrics,
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ExtrasBase64", package: "swift-extras-base64"),
            ],
            path: "Services/token/Sources/TokenService",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "token",
            dependencies: ["TokenService", "ServiceConfiguration", "ServiceRuntime", argumentParser, logging, lifecycle],
            path: "Services/token/Sources/token",
            swiftSettings: swiftSettings,
            linkerSettings: executableLinkerSettings
        ),

        // MARK: gateway
        .target(
            name: "Gateway",
            dependencies: [
                "AccessControl", "WireProtocol", "WireTransport", "ServiceConfiguration", "ServiceRuntime", nioCore, nioPosix, logging, lifecycle,
                metrics, tracing, .product(name: "W3CTraceContext", package: "swift-w3c-trace-context"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "OpenAPIKit", package: "OpenAPIKit"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Services/gateway/Sources/Gateway",
            // Swagger UI and ReDoc, served by /docs and /redoc (Services/gateway/Viewers.md says where they come from).
            resources: [.copy("Viewers")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "gateway",
            dependencies: ["Gateway", "ServiceConfiguration", "ServiceRuntime", argumentParser, logging, lifecycle],
            path: "Services/gateway/Sources/gateway",
            swiftSettings: swiftSettings,
            linkerSettings: executableLinkerSettings
        ),

        // MARK: tests
        .testTarget(
            name: "WireProtocolTests",
            dependencies: [
                "WireProtocol", "WireTesting", nioCore,
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AccessControlTests",
            dependencies: ["AccessControl"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ServiceConfigurationTests",
            dependencies: ["ServiceConfiguration"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ServiceRuntimeTests",
            dependencies: ["ServiceRuntime", nioCore, logging, lifecycle],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WireTransportTests",
            dependencies: [
                "WireProtocol", "WireTransport", "WireTesting", "ServiceConfiguration", "ServiceRuntime", nioCore, nioPosix, logging, lifecycle,
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IdentityServiceTests",
            dependencies: [
                "IdentityService", "WireProtocol", "WireTransport", "ServiceConfiguration", "ServiceRuntime", "WireTesting", nioCore, nioPosix,
                logging, lifecycle, .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TokenServiceTests",
            dependencies: [
                "TokenService", "WireProtocol", "WireTransport", "ServiceConfiguration", "ServiceRuntime", "WireTesting", nioCore, logging,
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "Gateway", "ServiceTesting", "AccessControl", "WireProtocol", "WireTransport", "WireTesting",
                "ServiceConfiguration", "ServiceRuntime", nioCore, nioPosix, logging, lifecycle,
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "W3CTraceContext", package: "swift-w3c-trace-context"),
            ],
            swiftSettings: swiftSettings
        ),
        // Test support: the test PostgreSQL schema and the services' operations in process.
        .target(
            name: "ServiceTesting",
            dependencies: [
                "Gateway", "IdentityService", "TokenService", "WireProtocol", "WireTransport", "WireTesting", nioCore, logging,
            ],
            path: "Tests/Support/ServiceTesting",
            swiftSettings: swiftSettings
        ),
        // Stores and clients on the real PostgreSQL and Redis, no executables.
        .testTarget(
            name: "StoreTests",
            dependencies: [
                "ServiceTesting", "IdentityService", "TokenService", "WireProtocol", "WireTransport", "WireTesting", "ServiceRuntime",
                nioCore, logging, .product(name: "ExtrasBase64", package: "swift-extras-base64"),
            ],
            swiftSettings: swiftSettings
        ),
        // The real executables, started as `make run` starts them, driven over HTTP.
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "ServiceTesting",
                "AccessControl", "IdentityService", "TokenService", "Gateway", "WireProtocol", "WireTransport", "WireTesting", "ServiceConfiguration",
                "ServiceRuntime",
                nioCore, nioPosix, logging,
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)

// Benchmarks build only when asked for (ENABLE_BENCHMARKS=1), so an ordinary build and CI skip them.
if ProcessInfo.processInfo.environment["ENABLE_BENCHMARKS"] != nil {
    package.targets.append(contentsOf: [
        .executableTarget(
            name: "WireBenchmarks",
            dependencies: ["WireProtocol", "WireTransport", "WireTesting", nioCore, logging],
            path: "Benchmarks/WireBenchmarks",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "JSONBenchmarks",
            dependencies: ["Gateway", "WireProtocol", nioCore],
            path: "Benchmarks/JSONBenchmarks",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "Argon2Benchmarks",
            dependencies: ["IdentityService", nioCore],
            path: "Benchmarks/Argon2Benchmarks",
            swiftSettings: swiftSettings
        ),
    ])
}
