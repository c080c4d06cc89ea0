import Foundation
import Testing
import TesseraCore
import TesseraMint
import TesseraTestSupport

/// `tessera-verify serve` as a process: settings from flags and `tessera.toml`, start-up errors, and SIGTERM.
@Suite(.offThePool) struct ServeCommandTests {
    /// The built `tessera-verify`: the test bundle sits beside the products.
    static let binary: String? = {
        let exe = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        var dir = exe.deletingLastPathComponent()
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("tessera-verify").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }()

    /// A running `tessera-verify serve` with its standard error collected as it arrives.
    final class Server: @unchecked Sendable {
        let process = Process()
        private let lock = NSLock()
        private var collected = ""
        /// Set when standard error reached its end: only then is `stderr` complete.
        private var ended = false

        init(_ arguments: [String]) throws {
            process.executableURL = URL(fileURLWithPath: try #require(ServeCommandTests.binary, "tessera-verify is not built"))
            process.arguments = ["serve"] + arguments
            let pipe = Pipe()
            process.standardError = pipe
            process.standardOutput = FileHandle.nullDevice
            pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
                let data = handle.availableData
                guard let self else { return }
                if data.isEmpty {
                    self.lock.withLock { self.ended = true }
                    handle.readabilityHandler = nil
                    return
                }
                self.lock.withLock { self.collected += String(decoding: data, as: UTF8.self) }
            }
            try process.run()
        }

        var stderr: String { lock.withLock { collected } }

        /// The port from Hummingbird's "listening on HOST:PORT" line.
        func port() async -> Int? {
            _ = await waitUntil(patience) { self.stderr.contains("listening on") || !self.process.isRunning }
            guard let range = stderr.range(of: "listening on ") else { return nil }
            let address = stderr[range.upperBound...].prefix { $0 != "\n" }
            return address.split(separator: ":").last.flatMap { Int($0) }
        }

        /// Waits for the process to end (at most `patience`) and its standard error to be read to the end, and returns its exit status.
        func exitStatus() async -> Int32? {
            _ = await waitUntil(patience) { !self.process.isRunning && self.lock.withLock { self.ended } }
            return process.isRunning ? nil : process.terminationStatus
        }

        deinit { if process.isRunning { process.terminate() } }
    }

    /// A site folder with one public key and the given files.
    func site(_ files: [String: String] = [:]) throws -> TestSite {
        let site = try TestSite()
        for (name, text) in files { try site.write(name, text) }
        return site
    }

    @Test(.enabled(if: ServeCommandTests.binary != nil, "tessera-verify is not built"))
    func settingsFromTesseraTomlAndAGracefulStopOnSIGTERM() async throws {
        let site = try site(["tessera.toml": """
            [gateway]
            listen = "127.0.0.1:0"
            identity_header = "X-Forwarded-User"
            project_from_path = "/projects/{project}/"

            """])
        let token = site.mint(site.invitation(project: "lab", subject: "alice@example.org"))
        let server = try Server(["--site", site.path, "--ledger", "sqlite:\(site.path)/state/ledger.sqlite"])
        let port = try #require(await server.port(), "no listening line: \(server.stderr)")
        // The identity header and the project template came from tessera.toml.
        let allowed = try await RawHTTP.perform(port: port, "GET", "/verify", headers: [
            ("Authorization", "Bearer \(token)"), ("X-Forwarded-User", "alice@example.org"), ("X-Forwarded-Uri", "/projects/lab/x"),
        ])
        #expect(allowed.status == 200, "\(allowed.body)")
        #expect(allowed.header("X-Auth-Request-User") == "alice@example.org")
        let otherProject = try await RawHTTP.perform(port: port, "GET", "/verify", headers: [
            ("Authorization", "Bearer \(token)"), ("X-Forwarded-User", "alice@example.org"), ("X-Forwarded-Uri", "/projects/other/x"),
        ])
        #expect(otherProject.status == 403)
        // The redemption went to the SQLite ledger named by --ledger.
        #expect(FileManager.default.fileExists(atPath: site.path + "/state/ledger.sqlite"))

        server.process.interrupt()  // SIGINT, then the same path as SIGTERM; check SIGTERM itself below
        #expect(await server.exitStatus() == 0)
        #expect(server.stderr.contains("stopped"))
        #expect(!server.stderr.contains("v4.public."), "the log never shows a token")

        let again = try Server(["--site", site.path, "--listen", "127.0.0.1:0", "--ledger", "sqlite:\(site.path)/state/ledger.sqlite"])
        _ = try #require(await again.port())
        again.process.terminate()  // SIGTERM
        #expect(await again.exitStatus() == 0)
        #expect(again.stderr.contains("stopped"))
    }

    @Test(.enabled(if: ServeCommandTests.binary != nil, "tessera-verify is not built"))
    func startUpErrorsExitWith2AndNameTheLine() async throws {
        let broken = try site(["revoked.txt": "# fine\nproject:bad name\n"])
        let list = try Server(["--site", broken.path, "--listen", "127.0.0.1:0"])
        #expect(await list.exitStatus() == 2)
        #expect(list.stderr.contains("tessera: error: \(broken.path)/revoked.txt:2:"), "\(list.stderr)")

        let flags = try Server(["--site", broken.path, "--listen", "nonsense"])
        #expect(await flags.exitStatus() == 2)
        #expect(flags.stderr.contains("tessera: error: --listen: \"nonsense\" is not HOST:PORT"), "\(flags.stderr)")

        let settings = try site(["tessera.toml": "[gateway]\ntrusted_proxies = [\"10.0.0.0/99\"]\n"])
        let toml = try Server(["--site", settings.path, "--listen", "127.0.0.1:0"])
        #expect(await toml.exitStatus() == 2)
        #expect(toml.stderr.contains("tessera.toml:2: [gateway] trusted_proxies: \"10.0.0.0/99\""), "\(toml.stderr)")

        // Issue 12, review F8: a placeholder nothing fills was sent raw in every 303.
        let redirect = try Server(["--site", try site().path, "--listen", "127.0.0.1:0", "--redirect", "https://app.example.org/{projects}/"])
        #expect(await redirect.exitStatus() == 2)
        #expect(redirect.stderr.contains("tessera: error: --redirect holds the unknown placeholder \"{projects}\"; only {project} and {jti} are filled in"), "\(redirect.stderr)")
    }
}
