// swift-tools-version:6.1
import PackageDescription

// The verifier (`tessera-verify`) links TesseraCore only: nothing in it can read a
// secret key or sign. Minting lives in TesseraMint, linked by `tessera` alone.
let package = Package(
    name: "Tessera",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "TesseraCore", targets: ["TesseraCore"]),
        .library(name: "TesseraMint", targets: ["TesseraMint"]),
        .executable(name: "tessera", targets: ["tessera"]),
        .executable(name: "tessera-verify", targets: ["tessera-verify"]),
        .executable(name: "tessera-bench", targets: ["tessera-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
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
            name: "TesseraCLI",
            dependencies: [
                "TesseraCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "tessera",
            dependencies: [
                "TesseraCore", "TesseraMint", "TesseraCLI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "tessera-verify",
            dependencies: [
                "TesseraCore", "TesseraCLI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "tessera-bench",
            dependencies: [
                "TesseraCore", "TesseraMint",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "TesseraCoreTests",
            dependencies: ["TesseraCore", "TesseraMint", "tessera", "tessera-verify"],
            resources: [.copy("Vectors")]
        ),
    ]
)
