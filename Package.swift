// swift-tools-version:6.1
import PackageDescription

// Linking the Swift runtime statically roughly halves a command's start-up time (no dynamic
// relocation of libswiftCore and Foundation), which is most of what `tessera-verify check`
// costs. The static Foundation archives do not name their own dependencies when SwiftPM links,
// so they are listed here, in a group so that their order does not matter.
let staticRuntime: [LinkerSetting] = [
    .unsafeFlags(
        ["-static-stdlib", "-Xlinker", "--start-group"]
            + ["Foundation", "FoundationInternationalization", "FoundationEssentials", "_FoundationICU", "_FoundationCollections",
               "_FoundationCShims", "CoreFoundation", "swiftSynchronization", "dispatch", "BlocksRuntime"].flatMap { ["-Xlinker", "-l" + $0] }
            + ["-Xlinker", "--end-group", "-Xlinker", "-lstdc++"],
        .when(platforms: [.linux])
    )
]

// The lean verifier's start-up, once the runtime is static, is mostly the dynamic loader's work
// (measured with callgrind: 5.0 M instructions a `check`, 2.8 M without it). In a release build it
// is a position-dependent executable (no relative relocations to apply) and links libstdc++ from
// the archive that scripts/release.sh puts alone in .build/release-static-libs (no symbol lookups in
// a shared libstdc++); without that folder libstdc++ stays shared. Not in debug builds, which the
// AddressSanitizer pass uses.
let leanStartup: [LinkerSetting] = [
    .unsafeFlags(["-L", Context.packageDirectory + "/.build/release-static-libs", "-Xlinker", "-no-pie"],
                 .when(platforms: [.linux], configuration: .release))
]

// The verifier (`tessera-verify`) never links TesseraMint or TesseraSite: nothing in it can
// read a secret key, sign, or write `out/`. `tessera` never links the HTTP server.
let package = Package(
    name: "Tessera",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "TesseraCore", targets: ["TesseraCore"]),
        .library(name: "TesseraMint", targets: ["TesseraMint"]),
        .library(name: "TesseraSite", targets: ["TesseraSite"]),
        .library(name: "TesseraGateway", targets: ["TesseraGateway"]),
        .library(name: "TesseraSQLite", targets: ["TesseraSQLite"]),
        .executable(name: "tessera", targets: ["tessera"]),
        .executable(name: "tessera-verify", targets: ["tessera-verify"]),
        .executable(name: "tessera-verify-full", targets: ["tessera-verify-full"]),
        .executable(name: "tessera-bench", targets: ["tessera-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // Already in the graph through Hummingbird; the gateway tests stop their servers through it.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // The gateway's /metrics: swift-metrics types over a Prometheus registry of each gateway's own.
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .target(
            name: "TesseraCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "TesseraMint",
            dependencies: [
                "TesseraCore",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "TesseraSite",
            dependencies: [
                "TesseraCore",
                .product(name: "Mustache", package: "swift-mustache"),
            ]
        ),
        .target(
            name: "TesseraGateway",
            dependencies: [
                "TesseraCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // The SQLite ledger, the embedded default: the programs that open a ledger link it.
        .target(
            name: "TesseraSQLite",
            dependencies: [
                "TesseraCore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // The PostgreSQL ledger: only `tessera-verify` (and the benchmark) link it.
        .target(
            name: "TesseraPostgres",
            dependencies: [
                "TesseraCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Fetches a published revoked.paseto by URL: only `tessera-verify` links it.
        .target(
            name: "TesseraFetch",
            dependencies: [
                "TesseraCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // argv as the C library hands it over: the Swift runtime reads /proc, which a chroot may lack.
        .target(name: "CProcessArguments"),
        .target(
            name: "TesseraCLI",
            dependencies: [
                "TesseraCore", "CProcessArguments",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "tessera",
            dependencies: [
                "TesseraCore", "TesseraSQLite", "TesseraMint", "TesseraSite", "TesseraCLI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            linkerSettings: staticRuntime
        ),
        // tessera-verify's commands (check, members, ledger), shared by its two executables.
        .target(
            name: "TesseraVerifyCLI",
            dependencies: [
                "TesseraCore", "TesseraCLI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The lean verifier a host copies: no HTTP server, no HTTP client, no ledger (GRDB brings Foundation's ICU data).
        .executableTarget(
            name: "tessera-verify",
            dependencies: [
                "TesseraCore", "TesseraCLI", "TesseraVerifyCLI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            linkerSettings: staticRuntime + leanStartup
        ),
        // What tessera-verify hands over: serve, --revoked https://…, postgres:// ledgers.
        .executableTarget(
            name: "tessera-verify-full",
            dependencies: [
                "TesseraCore", "TesseraSQLite", "TesseraCLI", "TesseraVerifyCLI", "TesseraGateway", "TesseraPostgres", "TesseraFetch",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            linkerSettings: staticRuntime
        ),
        .executableTarget(
            name: "tessera-bench",
            dependencies: [
                "TesseraCore", "TesseraMint", "TesseraSite", "TesseraSQLite", "TesseraPostgres",
                .product(name: "Crypto", package: "swift-crypto"),
                // Fills a large SQLite ledger for the latency figure.
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // What several test targets share: external tools, child processes, free ports, temporary folders.
        .target(
            name: "TesseraTestSupport",
            path: "Tests/TesseraTestSupport"
        ),
        .testTarget(
            name: "TesseraCoreTests",
            dependencies: [
                "TesseraCore", "TesseraMint", "TesseraSQLite", "TesseraPostgres", "TesseraTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            resources: [.copy("Vectors")]
        ),
        .testTarget(
            name: "TesseraVerifyCLITests",
            dependencies: ["TesseraVerifyCLI", "TesseraCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(
            name: "TesseraSiteTests",
            dependencies: ["TesseraSite", "TesseraCore", "TesseraMint", "TesseraTestSupport"]
        ),
        .testTarget(
            name: "TesseraGatewayTests",
            dependencies: [
                "TesseraGateway", "TesseraCore", "TesseraMint", "TesseraPostgres", "TesseraSQLite", "TesseraTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // Read from the source tree by HostileClientTests, as data, not bundled.
            exclude: ["HostileRequests"]
        ),
        // Runs the built binaries; `swift test` builds every product first. Depending on the
        // executable targets would link their static-runtime flags into the test bundle.
        .testTarget(
            name: "TesseraCLITests",
            dependencies: ["TesseraCore", "TesseraSQLite", "TesseraTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            // Read from the source tree by HostileFileTests, as data, not bundled.
            exclude: ["HostileFiles"]
        ),
    ]
)
