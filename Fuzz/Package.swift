// swift-tools-version:6.1
import PackageDescription

// libFuzzer targets for Tessera's input surfaces: one executable per surface, whose main hands
// its test function to libFuzzer's driver. Build and run them with `scripts/fuzz.sh`, which
// passes `-sanitize=fuzzer,address` and keeps the build in `Fuzz/.build`.
let targets = ["token", "claims", "footer", "revocation", "signed-list", "public-key", "secret-key", "settings", "json", "encoding"]

let package = Package(
    name: "TesseraFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Tessera", path: ".."),
    ],
    targets: [
        .target(name: "CLibFuzzer"),
        .target(
            name: "FuzzSupport",
            dependencies: [
                "CLibFuzzer",
                .product(name: "TesseraCore", package: "Tessera"),
                .product(name: "TesseraMint", package: "Tessera"),
            ]
        ),
    ] + targets.map { name in
        .executableTarget(
            name: "fuzz-" + name,
            dependencies: [
                "FuzzSupport",
                .product(name: "TesseraCore", package: "Tessera"),
                .product(name: "TesseraMint", package: "Tessera"),
            ]
        )
    }
)
