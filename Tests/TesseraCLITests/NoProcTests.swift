import Foundation
import Testing
import TesseraTestSupport

/// Found by `scripts/clean-root-check.sh`: in a chroot without `/proc`, the Swift runtime reads no
/// command line (it reads `/proc/self/cmdline`), and `tessera-verify check GARBAGE` printed the help
/// and exited 0. Here `/proc` is hidden in a private mount namespace (`unshare`, as root).
@Suite(.offThePool) struct NoProcTests {
    static let unshare = ExternalTool(name: "unshare", package: "util-linux")
    /// AddressSanitizer's own start-up reads /proc/self/maps, so its builds cannot run without /proc: this test runs in the plain pass.
    static let enabled = canHideProc && !isAddressSanitized

    /// Whether this machine lets a test hide /proc: root, and a kernel (or container) that allows a
    /// private mount namespace. Without that privilege the test is reported skipped; without
    /// `unshare` under CI it runs and fails on `require()`.
    static let canHideProc: Bool = {
        guard let path = unshare.path else { return ExternalTool.isCI }
        let probe = try? ProcessResult.run(URL(fileURLWithPath: path), ["--mount", "--propagation", "private", "/bin/sh", "-c", "mount -t tmpfs tessera-probe /proc"])
        return probe?.status == 0
    }()

    /// Runs `binary arguments…` with an empty tmpfs over `/proc`.
    private static func withoutProc(_ binary: String, _ arguments: [String], in folder: URL) throws -> ProcessResult {
        let script = "mount -t tmpfs tessera-no-proc /proc && exec \"$0\" \"$@\""
        return try ProcessResult.run(URL(fileURLWithPath: unshare.path!), ["--mount", "--propagation", "private", "/bin/sh", "-c", script,
                                                                         Binary.products.appendingPathComponent(binary).path] + arguments, in: folder)
    }

    @Test(.enabled(if: enabled, "needs a private mount namespace (root; a container may refuse it) and a build without AddressSanitizer"))
    func withoutProcTheCommandLineIsStillReadAndAGarbageTokenIsRefused() throws {
        guard Self.unshare.require() != nil else { return }
        let site = try MintedSite("--project", "lab", "--role", "viewer")
        let probe = try withoutProcCheck(["/bin/sh", "-c", "test -e /proc/self/cmdline"], site)
        #expect(probe.status != 0, "the namespace hides /proc")

        // The command line is read, so garbage is refused, never granted. It is mostly exit 10; but
        // libdispatch's worker-pool monitor also reads /proc and may kill a process without it
        // (SIGILL, exit 132): also a refusal, and why each answer below is asked up to eight times.
        let garbage = try Self.withoutProc("tessera-verify", ["check", "v4.public.garbage"], in: site.folder.url)
        #expect(garbage.status == 10 || Self.killedByDispatch(garbage), "\(garbage.stdout) \(garbage.stderr)")
        #expect(!garbage.stdout.contains("USAGE"))
        let refused = try Self.answer("tessera-verify", ["check", "v4.public.garbage"], in: site.folder.url)
        #expect(refused.status == 10, "\(refused.stdout) \(refused.stderr)")
        let valid = try Self.answer("tessera-verify", ["check", site.token], in: site.folder.url)
        #expect(valid.status == 0, "\(valid.stderr)")
        #expect(valid.stdout.contains("valid: invitation \(site.id)"), "\(valid.stdout)")
        // Handed over to tessera-verify-full, found beside argv[0] when /proc/self/exe is missing.
        let members = try Self.answer("tessera-verify", ["members", "--json"], in: site.folder.url)
        let withProc = try Binary.verify("members", "--json", in: site.folder.url)
        #expect(members.status == withProc.status, "\(members.stderr)")
        #expect(members.stdout == withProc.stdout)
        let list = try Self.answer("tessera", ["list", "--json"], in: site.folder.url)
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains(site.id))
    }

    /// Killed by SIGILL, libdispatch's trap when it cannot read /proc/self/task: Foundation's
    /// `Process` reports the signal's number as the status (no tessera exit code is 4), a shell 128 + 4.
    static func killedByDispatch(_ result: ProcessResult) -> Bool { result.status == SIGILL || result.status == 128 + SIGILL }

    /// The first answer of up to eight runs without /proc that libdispatch did not kill.
    private static func answer(_ binary: String, _ arguments: [String], in folder: URL) throws -> ProcessResult {
        var result = try withoutProc(binary, arguments, in: folder)
        for _ in 1..<8 where killedByDispatch(result) {
            result = try withoutProc(binary, arguments, in: folder)
        }
        return result
    }

    private func withoutProcCheck(_ command: [String], _ site: MintedSite) throws -> ProcessResult {
        let script = "mount -t tmpfs tessera-no-proc /proc && exec \"$@\""
        return try ProcessResult.run(URL(fileURLWithPath: Self.unshare.path!), ["--mount", "--propagation", "private", "/bin/sh", "-c", script, "sh"] + command,
                                     in: site.folder.url)
    }
}
