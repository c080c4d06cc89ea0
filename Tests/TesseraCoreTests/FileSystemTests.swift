import Foundation
import Synchronization
import Testing
@testable import TesseraCore
import TesseraTestSupport

/// The thin POSIX layer: its C calls stay within the bounds the C API gives.
@Suite(.offThePool) struct FileSystemTests {
    /// `readdir` packs records: a short name's record is much shorter than `struct dirent`. Copying
    /// the whole declared `d_name` read past the last record of the buffer (`tessera build`
    /// segfaulted on big sites); the AddressSanitizer pass turns any such read into a failure.
    @Test func aFolderWithManyLongNamesListsExactly() throws {
        let folder = try TemporaryFolder()
        var expected: [String] = []
        for i in 0..<2_000 {
            // Lengths from 1 to 255 bytes (NAME_MAX), most over 200, some with multi-byte UTF-8.
            let length = i % 7 == 0 ? 1 + i % 40 : 200 + i % 56
            let stem = String(i)
            var name = stem + String(repeating: i % 3 == 0 ? "é" : "n", count: max(0, length - stem.utf8.count) / (i % 3 == 0 ? 2 : 1))
            while name.utf8.count > 255 { name.removeLast() }
            expected.append(name)
            #expect(FileManager.default.createFile(atPath: folder.file(name).path, contents: nil))
        }
        let listed = try FileSystem.contents(ofDirectory: folder.path)
        #expect(listed.count == expected.count)
        #expect(listed == expected.sorted())
        #expect(listed.contains { $0.utf8.count == 255 } || expected.allSatisfy { $0.utf8.count < 255 })
    }

    /// A `revoked.txt` linked to a list kept elsewhere, whose target is away for a moment (a checkout
    /// renamed, a mount missing): read as absent, it meant "nothing revoked", and `build` then signed
    /// and published an empty list. It must fail closed instead.
    @Test func aDanglingLinkedRevocationListIsAnErrorNotAnEmptyList() throws {
        let folder = try TemporaryFolder()
        let link = folder.file("revoked.txt").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "elsewhere/list.txt")
        #expect(throws: FileError.self) { try FileSystem.readIfPresent(link) }
        #expect(throws: RevocationSource.Problem.self) {
            try RevocationSource.readFile(link, required: false, keyring: Keyring(), memo: nil, notOlderThan: nil)
        }
        // A list that is simply not there (no link either) still means nothing is revoked.
        #expect(try FileSystem.readIfPresent(folder.file("absent.txt").path) == nil)
    }

    /// A FIFO put where `revoked.txt` was (an outside review did): opening it waited for a writer, which held the
    /// gateway's reload loop (revocations and keys) for good, kept `/healthz` at "ok" and `serve` from exiting on SIGTERM.
    /// Anything but a regular file is now refused at once, and the list in force stays (the reload reports the error).
    @Test func aFIFOInPlaceOfTheRevocationListIsRefusedWithoutWaitingForAWriter() throws {
        let folder = try TemporaryFolder()
        let fifo = folder.file("revoked.txt").path
        #expect(mkfifo(fifo, 0o644) == 0)
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<(read: Result<[UInt8], FileError>?, list: Bool)>((nil, false))
        Thread {
            let read = Result { () throws(FileError) in try FileSystem.read(fifo) }
            let refused = (try? RevocationSource.readFile(fifo, required: false, keyring: Keyring(), memo: nil, notOlderThan: nil)) == nil
            outcome.withLock { $0 = (read, refused) }
            done.signal()
        }.start()
        let answered = done.wait(timeout: .now() + 5) == .success
        if !answered {
            // Release the blocked open so that the thread ends, then fail.
            let writer = open(fifo, O_WRONLY | O_NONBLOCK)
            if writer >= 0 { close(writer) }
            _ = done.wait(timeout: .now() + 5)
        }
        #expect(answered, "reading a FIFO waited for a writer")
        let (read, listRefused) = outcome.withLock { $0 }
        guard case .failure(let error)? = read else {
            Issue.record("a FIFO was read as a file: \(String(describing: read))")
            return
        }
        #expect(error.description.contains("not a regular file"))
        #expect(listRefused, "a FIFO was taken for a revocation list")
    }

    /// `prune`'s compare-and-swap: a file that changed since it was read is not replaced, and no temporary file is left.
    @Test func replaceIfUnchangedLeavesAChangedFileAlone() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("revoked.txt").path
        try FileSystem.writeAtomically(path, contents: Array("a\nb\n".utf8))
        #expect(try FileSystem.replaceIfUnchanged(path, expected: Array("a\n".utf8), contents: Array("x\n".utf8), mode: 0o644) == false)
        #expect(try FileSystem.read(path) == Array("a\nb\n".utf8))
        #expect(try FileSystem.replaceIfUnchanged(path, expected: Array("a\nb\n".utf8), contents: Array("b\n".utf8), mode: 0o640) == true)
        #expect(try FileSystem.read(path) == Array("b\n".utf8))
        #expect(FileSystem.permissions(of: path) == 0o640)
        #expect(try FileSystem.contents(ofDirectory: folder.path) == ["revoked.txt"])
    }

    /// Values checked after parsing are reported on their line, and long values are cut.
    @Test func settingsErrorsNameTheLineAndCutLongValues() throws {
        let long = String(repeating: "w", count: 5_000)
        #expect(throws: Settings.Error(path: "tessera.toml", line: 3, message: "default_expiry \"\(String(repeating: "w", count: 80))…\" (5000 bytes) is not a span, a time or 'never' (for example 14d, 36h, 2026-12-01T18:00:00Z or never)")) {
            try Settings.parse("# a\n\ndefault_expiry = \"\(long)\"\n")
        }
        let settings = try Settings.parse("issuer = \"x\"\n[gateway]\n\nlisten = \"nowhere\"\n")
        #expect(settings.origin("gateway.listen", in: "site/tessera.toml") == "site/tessera.toml:4: [gateway] listen")
        #expect(settings.origin("issuer", in: "tessera.toml") == "tessera.toml:1: issuer")
        #expect(settings.origin("ledger", in: "tessera.toml") == "tessera.toml: ledger")
        #expect(try Settings.parse("issuer = \"\\u0041\"\n").issuer == "A")
        #expect(throws: Settings.Error.self) { try Settings.parse("issuer = \"\\u+041\"\n") }
        #expect(throws: Settings.Error.self) { try Settings.parse("issuer = \"\\u-041\"\n") }
        #expect(throws: Settings.Error.self) { try Settings.parse("issuer = \"\\u 041\"\n") }
    }
}
