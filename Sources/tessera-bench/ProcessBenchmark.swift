import Foundation
import TesseraCore
import TesseraMint

/// `tessera-verify check` as a whole process, start to exit, beside `openssl pkeyutl -verify -rawin` of one signature;
/// the same with a 100,000-entry `revoked.txt`, and `tessera mint` of one invitation in an existing site.
struct ProcessBenchmark {
    let runs: Int

    struct Missing: Error, CustomStringConvertible {
        let what: String
        var description: String { what }
    }

    func run() throws -> [String] {
        // TESSERA_BENCH_BIN names a folder of already built executables to measure (scripts/release.sh's dist/, say).
        let given = ProcessInfo.processInfo.environment["TESSERA_BENCH_BIN"].map { URL(fileURLWithPath: $0) }
        let bin = given ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let verifyPath = bin.appendingPathComponent("tessera-verify").path
        // `swift run tessera-bench` builds only the bench; the verifier measured must be this build's.
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        if given == nil, FileManager.default.fileExists(atPath: package.appendingPathComponent("Package.swift").path) {
            print("  (building tessera-verify in release for this measurement…)")
            for product in ["tessera-verify", "tessera"] {
                let build = Process()
                build.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                build.arguments = ["swift", "build", "-c", "release", "--product", product, "--package-path", package.path]
                build.standardOutput = FileHandle.nullDevice
                try build.run()
                build.waitUntilExit()
                guard build.terminationStatus == 0 else { throw Missing(what: "swift build -c release --product \(product) failed") }
            }
        }
        guard FileManager.default.isExecutableFile(atPath: verifyPath) else { throw Missing(what: "build tessera-verify in release first") }
        guard let openssl = ["/usr/bin/openssl", "/usr/local/bin/openssl"].first(where: FileManager.default.isExecutableFile) else {
            throw Missing(what: "openssl is not installed (apt-get install openssl)")
        }

        let site = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: site.appendingPathComponent("keys"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: site) }
        let key = SigningKey()
        try key.publicKey.pemRepresentation.write(to: site.appendingPathComponent("keys/main.public.pem"), atomically: true, encoding: .utf8)
        let token = Minter(key: key).mint(InvitationTerms(project: "talk-2026", role: "viewer").invitation(id: Minter.newInvitationID(), issuedAt: .now))
        let parsed = try SignedToken(parsing: Array(token.utf8))
        let message = SignedToken.signingInput(message: parsed.message, footer: parsed.footer, implicitAssertion: [])
        try Data(message).write(to: site.appendingPathComponent("msg"))
        try Data(parsed.signature).write(to: site.appendingPathComponent("sig"))

        let tessera = [verifyPath, "check", "--site", site.path, token]
        let reference = [openssl, "pkeyutl", "-verify", "-pubin", "-inkey", site.appendingPathComponent("keys/main.public.pem").path,
                         "-rawin", "-in", site.appendingPathComponent("msg").path, "-sigfile", site.appendingPathComponent("sig").path]
        guard try spawn(tessera).status == 0 else { throw Missing(what: "tessera-verify check did not grant the benchmark token") }
        guard try spawn(reference).status == 0 else { throw Missing(what: "openssl did not verify the signature") }

        // The same key, with a revocation list of 100,000 other invitations.
        let large = site.appendingPathComponent("large")
        try FileManager.default.createDirectory(at: large.appendingPathComponent("keys"), withIntermediateDirectories: true)
        try key.publicKey.pemRepresentation.write(to: large.appendingPathComponent("keys/main.public.pem"), atomically: true, encoding: .utf8)
        let entries = (0..<100_000).map { _ in Minter.newInvitationID() }.joined(separator: "\n") + "\n"
        try entries.write(to: large.appendingPathComponent("revoked.txt"), atomically: true, encoding: .utf8)
        let tesseraLarge = [verifyPath, "check", "--site", large.path, token]
        guard try spawn(tesseraLarge).status == 0 else { throw Missing(what: "tessera-verify check did not grant with the large list") }

        // `tessera mint` of one invitation in a site that already has its key (page, QR code and token written).
        let mintPath = bin.appendingPathComponent("tessera").path
        let minting = site.appendingPathComponent("minting")
        try FileManager.default.createDirectory(at: minting, withIntermediateDirectories: true)
        let mint = [mintPath, "mint", "--site", minting.path, "--project", "talk-2026", "--role", "viewer"]
        guard try spawn(mint).status == 0 else { throw Missing(what: "tessera mint failed") }

        var ours: [Double] = [], oursLarge: [Double] = [], minted: [Double] = [], theirs: [Double] = []
        for _ in 0..<runs {
            ours.append(try spawn(tessera).milliseconds)
            theirs.append(try spawn(reference).milliseconds)
            oursLarge.append(try spawn(tesseraLarge).milliseconds)
            theirs.append(try spawn(reference).milliseconds)
            minted.append(try spawn(mint).milliseconds)
        }
        let a = Measure.median(ours), b = Measure.median(theirs), c = Measure.median(oursLarge), d = Measure.median(minted)
        return [
            "process start to exit (\(runs) interleaved runs each)",
            Measure.line("openssl pkeyutl -verify -rawin (one signature)", String(format: "%.2f ms", b)),
            Measure.line("tessera-verify check TOKEN", String(format: "%.2f ms", a), String(format: "tessera/openssl = %.2f (target ≤ 0.5)", a / b)),
            Measure.line("  the same, 100,000-entry revoked.txt", String(format: "%.2f ms", c), String(format: "tessera/openssl = %.2f (target ≤ 1.0)", c / b)),
            Measure.line("tessera mint (one invitation, existing site)", String(format: "%.2f ms", d), String(format: "tessera/openssl = %.2f", d / b)),
        ]
    }

    private func spawn(_ argv: [String]) throws -> (status: Int32, milliseconds: Double) {
        var pid: pid_t = 0
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        let start = Measure.now()
        let rc = posix_spawn(&pid, argv[0], &actions, nil, cArgs, environ)
        guard rc == 0 else { throw Missing(what: "cannot start \(argv[0])") }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        let elapsed = Double(Measure.now() - start) / 1e6
        return ((status >> 8) & 0xff, elapsed)
    }
}
