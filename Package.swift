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
        .executable(name: "tessera", targets: ["tessera"]),
        .executable(name: "tessera-verify", targets: ["tessera-verify"]),
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
    ],
    targets: [
        .target(
            name: "TesseraCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
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
        .target(
            name: "TesseraCLI",
            dependencies: [
                "TesseraCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "tessera",
            dependencies: [
                "TesseraCore", "TesseraMint", "TesseraSite", "TesseraCLI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            linkerSettings: staticRuntime
        ),
        .executableTarget(
            name: "tessera-verify",
            dependencies: [
                "TesseraCore", "TesseraCLI", "TesseraGateway", "TesseraPostgres", "TesseraFetch",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            linkerSettings: staticRuntime
        ),
        .executableTarget(
            name: "tessera-bench",
            dependencies: [
                "TesseraCore", "TesseraMint", "TesseraSite", "TesseraPostgres",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "TesseraCoreTests",
            dependencies: ["TesseraCore", "TesseraMint", "TesseraPostgres", .product(name: "GRDB", package: "GRDB.swift")],
            resources: [.copy("Vectors")]
        ),
        .testTarget(
            name: "TesseraSiteTests",
            dependencies: ["TesseraSite", "TesseraCore", "TesseraMint"]
        ),
        .testTarget(
            name: "TesseraGatewayTests",
            dependencies: [
                "TesseraGateway", "TesseraCore", "TesseraMint",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Runs the built binaries; `swift test` builds every product first. Depending on the
        // executable targets would link their static-runtime flags into the test bundle.
        .testTarget(
            name: "TesseraCLITests",
            dependencies: ["TesseraCore", .product(name: "GRDB", package: "GRDB.swift")],
            // Read from the source tree by HostileFileTests, as data, not bundled.
            exclude: ["HostileFiles"]
        ),
    ]
)
