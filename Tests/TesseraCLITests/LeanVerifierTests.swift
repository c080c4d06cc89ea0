import Foundation
import Testing
import TesseraTestSupport

/// `tessera-verify` is two executables: the lean one that hosts copy (check, members, ledger on SQLite)
/// and `tessera-verify-full`, which it runs for serve, lists fetched over HTTP and PostgreSQL ledgers.
@Suite(.offThePool) struct LeanVerifierTests {
    /// Names that appear in an executable that links the module (its symbols and metadata).
    static let heavyModules = ["Hummingbird", "PostgresNIO", "AsyncHTTPClient", "NIOSSL", "NIOPosix", "GRDB"]

    static func modules(in binary: String) throws -> [String] {
        let bytes = try Data(contentsOf: Binary.products.appendingPathComponent(binary))
        return heavyModules.filter { bytes.range(of: Data($0.utf8)) != nil }
    }

    /// Off the shared pool: searching a debug build's executables took seconds of CPU on one of the two
    /// threads every async test shares, and with another such test beside it every in-process
    /// PostgreSQL operation waited out its 60 s deadline (seen with gdb, 2026-12-01).
    @Test func theLeanVerifierLinksNoHTTPServerOrClientAndNoLedger() async throws {
        let (lean, full) = try await offThePool { (try Self.modules(in: "tessera-verify"), try Self.modules(in: "tessera-verify-full")) }
        #expect(lean == [])
        // The same search finds them where they are linked: the test can fail.
        #expect(full == Self.heavyModules)
    }

    @Test func serveWithoutTheFullVerifierBesideItIsAConfigurationError() throws { try serveWithoutTheFullVerifierBody() }
    private func serveWithoutTheFullVerifierBody() throws {
        let folder = try TemporaryFolder()
        let alone = folder.file("tessera-verify")
        try FileManager.default.copyItem(at: Binary.products.appendingPathComponent("tessera-verify"), to: alone)
        let result = try Self.runFreshCopy(alone, ["serve", "--listen", "127.0.0.1:1"], in: folder.url)
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("tessera: error: this command needs tessera-verify-full"), "\(result.stderr)")
        #expect(result.stderr.contains("tessera: hint: "))
        // check needs nothing beside it.
        let site = try MintedSite("--project", "talk", "--role", "viewer")
        let check = try ProcessResult.run(alone, ["check", "--site", site.folder.path, site.token])
        #expect(check.status == 0, "\(check.stderr)")
        // A redemption needs the ledger, which only tessera-verify-full links: refused before anything is granted.
        let redeem = try ProcessResult.run(alone, ["check", "--redeem", "--site", site.folder.path, site.token])
        #expect(redeem.status == 2)
        #expect(redeem.stderr.hasPrefix("tessera: error: this command needs tessera-verify-full"), "\(redeem.stderr)")
    }

    /// Runs a just-copied executable: a child forked by another test meanwhile may still hold the copy's
    /// write descriptor for a moment (ETXTBSY, "text file busy"), so that failure is retried.
    static func runFreshCopy(_ executable: URL, _ arguments: [String], in directory: URL? = nil) throws -> ProcessResult {
        for _ in 0..<50 {
            do {
                return try ProcessResult.run(executable, arguments, in: directory)
            } catch let error as NSError where (error.userInfo[NSUnderlyingErrorKey] as? NSError)?.code == Int(ETXTBSY) {
                usleep(100_000)
            }
        }
        return try ProcessResult.run(executable, arguments, in: directory)
    }

    @Test func theFastAndTheFullReadingOfCheckAnswerAlike() throws { try fastAndFullBody() }
    private func fastAndFullBody() throws {
        let site = try MintedSite("--project", "talk", "--role", "viewer")
        // The same command line through the lean reader, and through ArgumentParser in tessera-verify-full.
        for arguments in [["check", site.token], ["check", "--json", site.token], ["check", "--project", "other", "--json", site.token],
                          ["check", "--at", "nonsense", site.token], ["check", "--json", site.token + "x"]] {
            let lean = try Binary.run("tessera-verify", arguments, in: site.folder.url)
            let full = try Binary.run("tessera-verify-full", arguments, in: site.folder.url)
            #expect(lean.status == full.status, "\(arguments)")
            #expect(lean.stdout == full.stdout, "\(arguments)")
            #expect(lean.stderr == full.stderr, "\(arguments)")
        }
    }
}
