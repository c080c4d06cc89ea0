import Foundation
import Testing
import TesseraTestSupport
import TesseraCore

/// Issue 12, deliverable 2: one writer at a time per site (`.tessera.lock`), and a `prune` that
/// never loses a line appended to `revoked.txt` while it ran.
@Suite(.offThePool) struct SiteLockTests {
    /// Runs the commands at the same moment, each on a thread of its own, and returns their results in order.
    static func together(_ commands: [(String, [String])], in folder: URL, environment: [String: String] = [:]) -> [Binary.Result] {
        let results = LockedBox<[Int: Binary.Result]>([:])
        let group = DispatchGroup()
        for (index, (name, arguments)) in commands.enumerated() {
            group.enter()
            Thread {
                let result = (try? Binary.run(name, arguments, in: folder, environment: environment)) ?? Binary.Result(status: -1, stdout: "", stderr: "could not start")
                results.withLock { $0[index] = result }
                group.leave()
            }.start()
        }
        group.wait()
        return results.withLock { dict in (0..<commands.count).map { dict[$0]! } }
    }

    /// Eight in thirty pairs once ended with two secret keys, one run saying "created signing key
    /// key-…" and then "signed with key main".
    @Test func twoFirstMintsInAnEmptyFolderMakeExactlyOneKey() throws { try twoFirstMints() }
    private func twoFirstMints() throws {
        for round in 0..<6 {
            let site = try TemporaryFolder()
            let mint = ("tessera", ["mint", "--project", "talk", "--role", "viewer"])
            let results = Self.together([mint, mint], in: site.url)
            for result in results {
                #expect(result.status == 0, "round \(round): \(result.stderr)")
                #expect(result.stdout.contains("(signed with key main)"), "round \(round): \(result.stdout)")
            }
            let secrets = try FileManager.default.contentsOfDirectory(atPath: site.file("keys").path).filter { $0.hasSuffix(".secret.pem") }
            #expect(secrets == ["main.secret.pem"], "round \(round): \(secrets)")
            #expect(results.filter { $0.stderr.contains("created signing key") }.count == 1, "round \(round): exactly one run creates the key")
        }
    }

    /// `build` swept a running mint's temporary files as "left by an interrupted run", and the
    /// mint then failed to rename them into place.
    @Test func buildBesideMintRemovesNothingOfTheRunningMint() throws { try buildBesideMint() }
    private func buildBesideMint() throws {
        let site = try TemporaryFolder()
        #expect(try Binary.tessera("mint", "--project", "talk", "--role", "viewer", in: site.url).status == 0)
        let count = 1500
        let results = Self.together([
            ("tessera", ["mint", "--project", "talk", "--role", "viewer", "--count", String(count), "--json"]),
            ("tessera", ["build"]), ("tessera", ["build"]), ("tessera", ["build"]),
        ], in: site.url, environment: ["TESSERA_LOCK_TIMEOUT": "900"])
        // The builds queue behind the mint and each other on the site lock: on CI's two cores, beside the
        // whole parallel run, that queue took over the default 60 s, which is not what this test is about.
        #expect(results[0].status == 0, "mint: \(results[0].stderr)")
        for build in results.dropFirst() {
            #expect(build.status == 0, "build: \(build.stderr)")
            #expect(!build.stderr.contains("unfinished file"), "build swept files of the running mint: \(build.stderr)")
        }
        let ids = results[0].lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["id"] as? String }
        #expect(ids.count == count)
        for id in ids {
            for file in ["index.html", "token"] where !FileManager.default.fileExists(atPath: site.file("out/i/\(id)/\(file)").path) {
                Issue.record("out/i/\(id)/\(file) is missing")
                return
            }
        }
    }

    /// A writer waits for the lock with a message on standard error and gives up after the
    /// timeout with one error line; readers (`list`, `keys list`, `check`) never wait.
    @Test func aSecondWriterWaitsThenFailsClearlyAndReadersNeverWait() throws { try waitsThenFails() }
    private func waitsThenFails() throws {
        let minted = try MintedSite("--project", "talk", "--role", "viewer")
        let site = minted.folder
        let lock = try SiteLock.acquire(SiteFolder(root: site.path), timeout: 1) { _ in }
        defer { lock.release() }
        let timeout = ["TESSERA_LOCK_TIMEOUT": "1"]
        let writers: [[String]] = [
            ["revoke", minted.id], ["mint", "--project", "talk", "--role", "viewer"], ["build"], ["prune"],
            ["keys", "new", "--name", "second"], ["keys", "use", "main"],
        ]
        for arguments in writers {
            let result = try Binary.run("tessera", arguments, in: site.url, environment: timeout)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("tessera: waiting for another tessera (pid \(getpid())) to finish changing this site"), "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("tessera: error: .tessera.lock: another tessera (pid \(getpid())) still holds the site lock after 1s"), "\(arguments): \(result.stderr)")
            #expect(result.stdout.isEmpty, "\(arguments): nothing is reported done: \(result.stdout)")
        }
        #expect(try site.read("revoked.txt").contains(minted.id) == false, "the revoke that timed out wrote nothing")
        let clock = ContinuousClock()
        let started = clock.now
        let readers: [(String, [String])] = [
            ("tessera", ["list"]), ("tessera", ["keys", "list"]), ("tessera", ["show", minted.token]), ("tessera", ["prune", "--dry-run"]),
            ("tessera-verify", ["check", minted.token]),
        ]
        for (tool, arguments) in readers {
            let result = try Binary.run(tool, arguments, in: site.url, environment: ["TESSERA_LOCK_TIMEOUT": "30"])
            #expect(result.status == 0, "\(tool) \(arguments): \(result.stderr)")
            #expect(!result.stderr.contains("waiting"), "\(tool) \(arguments) waited for the writer lock")
        }
        #expect(clock.now - started < .seconds(25), "readers took the lock")
        lock.release()
        let revoke = try Binary.tessera("revoke", minted.id, in: site.url)
        #expect(revoke.status == 0 && !revoke.stderr.contains("waiting"), "\(revoke.stderr)")
    }

    /// `prune` rewrote `revoked.txt` from what it had read, so a line appended in between (by
    /// `revoke` or by hand) was lost and the invitation verified again.
    @Test func concurrentRevokeAndPruneLoseNoLine() throws { try revokeBesidePrune() }
    private func revokeBesidePrune() throws {
        let site = try TemporaryFolder()
        // Expired invitations give every prune a line to remove, so each one rewrites the file.
        let expiring = try Binary.tessera("mint", "--project", "old", "--role", "viewer", "--expires", "2s", "--count", "40", "--json", in: site.url)
        #expect(expiring.status == 0, "\(expiring.stderr)")
        let expired = expiring.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .map { (id: $0["id"] as! String, token: $0["token"] as! String) }
        let fresh = try Binary.tessera("mint", "--project", "talk", "--role", "viewer", "--count", "12", "--json", in: site.url)
        let live = fresh.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(live.count == 12)
        Thread.sleep(forTimeInterval: 2.5)
        let path = site.file("revoked.txt").path

        let done = LockedBox(false)
        let siteURL = site.url
        let pruner = Thread {
            while !done.withLock({ $0 }) {
                _ = try? Binary.tessera("prune", "--leeway", "0s", in: siteURL)
            }
        }
        pruner.start()
        for (index, object) in live.enumerated() {
            // An expired invitation back in out/i/ (prune removed its folder), its id added by hand
            // for prune to remove, and a hand-written line of its own that must survive.
            let old = expired[index % expired.count]
            try site.write("out/i/\(old.id)/token", old.token + "\n")
            let handle = try #require(FileHandle(forWritingAtPath: path))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data("\(old.id)\nproject:kept-\(index)  # by hand\n".utf8))
            try handle.close()
            let revoke = try Binary.tessera("revoke", object["id"] as! String, in: site.url)
            #expect(revoke.status == 0, "\(revoke.stderr)")
        }
        done.withLock { $0 = true }
        while pruner.isExecuting { Thread.sleep(forTimeInterval: 0.05) }
        #expect(try Binary.tessera("prune", "--leeway", "0s", in: site.url).status == 0)

        let text = try site.read("revoked.txt")
        for (index, object) in live.enumerated() {
            let id = object["id"] as! String
            #expect(text.contains("\(id)  # revoked"), "the revocation of \(id) was lost")
            #expect(text.contains("project:kept-\(index)  # by hand"), "the hand-written line \(index) was lost")
            let check = try Binary.verify("check", object["token"] as! String, in: site.url)
            #expect(check.status == 13, "\(id) verifies again: \(check.stderr)")
        }
        for old in expired { #expect(!text.contains(old.id + "\n"), "prune left \(old.id)") }
    }
}

/// A value shared between threads of a test.
final class LockedBox<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
