import Foundation
import Testing
@testable import TesseraCore
import TesseraMint
import TesseraTestSupport

/// `--revoked`'s forms: a file in either format, or the address of a published signed list.
@Suite(.offThePool) struct RevocationSourceTests {
    /// Issue 15: a list read for one invitation keeps that id's line only, gives that invitation the
    /// whole list's verdict, refuses a malformed line on the same line number, and clears no other
    /// invitation (fail closed), whether or not the whole list names it.
    @Test func aListReadForOneInvitationDecidesAloneForIt() throws {
        let key = SigningKey(seed: [UInt8](repeating: 7, count: 32))!.publicKey.id
        func invitation(_ id: String, project: String = "p") -> Invitation {
            Invitation(id: id, project: project, role: "r", issuedAt: Timestamp(seconds: 1_780_000_000), expiresAt: nil)
        }
        let listed = "Qm9vb2JhcmJhemJhenF1eA", unlisted = "AAAAAAAAAAAAAAAAAAAAAA"
        let text = Array("BBBBBBBBBBBBBBBBBBBBBB\n\(listed)  # by hand\nproject:gone\nCCCCCCCCCCCCCCCCCCCCCC\n".utf8)
        let whole = try RevocationList(parsing: text)
        for id in [listed, unlisted] {
            let one = try RevocationList(parsing: text, onlyInvitation: id)
            #expect(one.invitationIDs == whole.invitationIDs.intersection([id]))
            #expect(one.projects == whole.projects)
            #expect(one.entry(revoking: invitation(id), signedBy: key) == whole.entry(revoking: invitation(id), signedBy: key))
            #expect(one.entry(revoking: invitation(id, project: "gone"), signedBy: key) == whole.entry(revoking: invitation(id, project: "gone"), signedBy: key))
            // Another invitation: the whole list clears it (unlisted) or revokes it (listed); this one never clears it.
            let other = id == listed ? unlisted : listed
            #expect(one.entry(revoking: invitation(other), signedBy: key) == .invitation(other))
            #expect(one.entry(revoking: invitation("CCCCCCCCCCCCCCCCCCCCCC"), signedBy: key) != nil)
        }
        #expect(whole.entry(revoking: invitation(unlisted), signedBy: key) == nil)
        let malformed = text + Array("not an entry\n".utf8)
        let refusal = #expect(throws: RevocationList.ParseError.self) { try RevocationList(parsing: malformed, onlyInvitation: listed) }
        #expect(refusal?.line == 5)
        #expect(refusal?.message.hasPrefix("\"not an entry\" is not") == true)
    }

    @Test func parsesAddressesStrictly() throws {
        let url = try #require(RemoteURL("HTTPS://Example.ORG/.well-known/tessera/revoked.paseto?v=2#top"))
        #expect(url.scheme == "https" && url.host == "example.org" && url.port == 443)
        #expect(url.target == "/.well-known/tessera/revoked.paseto?v=2")
        #expect(url.description == "https://example.org/.well-known/tessera/revoked.paseto?v=2")
        #expect(RemoteURL("http://127.0.0.1:8080")?.target == "/")
        #expect(RemoteURL("http://[::1]:9000/x")?.host == "::1")
        #expect(RemoteURL("http://[::1]:9000/x")?.description == "http://[::1]:9000/x")

        let hostile = [
            "ftp://example.org/x", "file:///etc/passwd", "https://user:secret@example.org/x", "https://example.org@evil.test/x",
            "https://exa mple.org/x", "https://example.org/a b", "https://example.org:0/x", "https://example.org:65536/x",
            "https://example.org:-1/x", "https://example.org:80a/x", "https:///x", "https://:443/x", "https://[::1/x",
            "https://[::1]x/x", "https://ex\u{0}ample.org/", "https://exämple.org/", "https://-example.org/", "https://example.org\\@evil/",
            "https://example.org/\u{7f}", "https://" + String(repeating: "a", count: 254) + "/",
        ]
        for text in hostile {
            #expect(RemoteURL(text) == nil, "accepted \(text)")
            if RemoteURL.looksLikeURL(text) {
                #expect(throws: RevocationSource.Problem.self, "accepted \(text)") { try RevocationSource(parsing: text) }
            }
        }
        #expect(try RevocationSource(parsing: "revoked.txt") == .file("revoked.txt"))
        #expect(try RevocationSource(parsing: "https://example.org/r") == .url(RemoteURL("https://example.org/r")!))
    }

    @Test func resolvesRedirects() throws {
        let base = try #require(RemoteURL("https://example.org/a/b/revoked.paseto"))
        #expect(base.resolving("/c")?.description == "https://example.org/c")
        #expect(base.resolving("c.paseto")?.description == "https://example.org/a/b/c.paseto")
        #expect(base.resolving("//cdn.example.org/r")?.description == "https://cdn.example.org/r")
        #expect(base.resolving("http://example.org/r")?.isSecure == false)
        #expect(base.resolving("javascript:alert(1)") == nil)
        #expect(base.resolving("c:d")?.description == nil)
        #expect(base.resolving("./c:d")?.description == "https://example.org/a/b/./c:d")
        #expect(base.resolving("ftp://example.org/r") == nil)
    }

    /// A list of 2,000 entries is larger than an invitation may be (8 KiB); it must still verify.
    @Test func largeSignedListsVerify() throws {
        let key = SigningKey()
        let keyring = Keyring([key.publicKey])
        let list = RevocationList((0..<2_000).map { _ in RevocationList.Entry(Minter.newInvitationID())! })
        let token = Minter(key: key).sign(SignedRevocationList(issuedAt: Timestamp(seconds: 1_000), list: list))
        #expect(token.utf8.count > SignedToken.maximumLength)
        let read = try SignedRevocationList(verifying: Array(token.utf8), keyring: keyring)
        #expect(read.list == list)
    }

    @Test func signedFilesAreVerifiedAndRemembered() async throws {
        let folder = try TemporaryFolder()
        let key = SigningKey()
        let keyring = Keyring([key.publicKey])
        let id = Minter.newInvitationID()
        let newer = Minter(key: key).sign(SignedRevocationList(issuedAt: Timestamp(seconds: 2_000), list: RevocationList([RevocationList.Entry(id)!])))
        let older = Minter(key: key).sign(SignedRevocationList(issuedAt: Timestamp(seconds: 1_000), list: RevocationList()))
        let file = folder.file("revoked.paseto").path
        let memo = folder.file("state/revocation-list.iat").path
        let source = RevocationSource.file(file)

        try (newer + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let loaded = try await source.load(keyring: keyring, memo: memo)
        #expect(loaded.list.count == 1 && loaded.issuedAt == Timestamp(seconds: 2_000))
        #expect(try String(contentsOfFile: memo, encoding: .utf8) == Timestamp(seconds: 2_000).rfc3339 + "\n")

        // The older list is refused by the memo, and by a held time even without one.
        try older.write(toFile: file, atomically: true, encoding: .utf8)
        await #expect(throws: RevocationSource.Problem.self) { try await source.load(keyring: keyring, memo: memo) }
        await #expect(throws: RevocationSource.Problem.self) {
            try await source.load(keyring: keyring, memo: nil, notOlderThan: Timestamp(seconds: 1_500))
        }
        // Signed by a key not trusted: refused.
        await #expect(throws: RevocationSource.Problem.self) { try await source.load(keyring: Keyring([SigningKey().publicKey]), memo: nil) }
        // A missing file is an empty list only when not required.
        let absent = RevocationSource.file(folder.file("none.txt").path)
        #expect(try await absent.load(keyring: keyring, memo: nil, required: false).list.count == 0)
        await #expect(throws: RevocationSource.Problem.self) { try await absent.load(keyring: keyring, memo: nil) }
        // A file named *.paseto must be signed: a plain list there is refused, not read.
        try "# nothing revoked\n".write(toFile: file, atomically: true, encoding: .utf8)
        do {
            _ = try await source.load(keyring: keyring, memo: nil)
            Issue.record("a plain list was read from a .paseto file")
        } catch {
            #expect(error.kind == .refused)
        }
        // A malformed text line names its line.
        let text = folder.file("revoked.txt").path
        try "# ok\nnot an entry!\n".write(toFile: text, atomically: true, encoding: .utf8)
        do {
            _ = try await RevocationSource.file(text).load(keyring: keyring, memo: nil)
            Issue.record("a malformed line was accepted")
        } catch {
            #expect(error.kind == .malformedLine && error.line == 2)
        }
    }

    /// A second outside review: a signed list at `lists/r.list`, then plain text written over it, was refused by the running
    /// gateway but taken after a restart (0 entries, the revoked invitation granted). The files a signed list was accepted
    /// from are now remembered in `state/`, so a fresh load (a restarted `serve`, or `check`) refuses plain text there too.
    @Test func aFileThatOnceHeldASignedListIsRefusedPlainTextAfterARestart() async throws {
        let folder = try TemporaryFolder()
        let key = SigningKey()
        let keyring = Keyring([key.publicKey])
        let memo = folder.file("state/revocation-list.iat").path
        let file = folder.file("r.list").path
        let signed = Minter(key: key).sign(SignedRevocationList(issuedAt: Timestamp(seconds: 2_000), list: RevocationList([.project("lab")])))
        try signed.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try RevocationSource.readFile(file, required: true, keyring: keyring, memo: memo, notOlderThan: nil).list.count == 1)
        #expect(try String(contentsOfFile: RevocationSource.signedFilesMemo(besides: memo), encoding: .utf8) == file + "\n")

        try "# nothing revoked\n".write(toFile: file, atomically: true, encoding: .utf8)
        do {
            _ = try RevocationSource.readFile(file, required: true, keyring: keyring, memo: memo, notOlderThan: nil)
            Issue.record("a plain list was taken where a signed one had been")
        } catch {
            #expect(error.kind == .refused)
        }
        // Another file of the same site, never signed, stays a plain list; reading the signed one again adds no line.
        let other = folder.file("revoked.txt").path
        try "# nothing revoked\n".write(toFile: other, atomically: true, encoding: .utf8)
        #expect(try RevocationSource.readFile(other, required: true, keyring: keyring, memo: memo, notOlderThan: nil).list.count == 0)
        try signed.write(toFile: file, atomically: true, encoding: .utf8)
        _ = try RevocationSource.readFile(file, required: true, keyring: keyring, memo: memo, notOlderThan: nil)
        #expect(try String(contentsOfFile: RevocationSource.signedFilesMemo(besides: memo), encoding: .utf8) == file + "\n")
        // Without a memo (no state kept), nothing is remembered: the documented limit of a verifier without state/.
        try "# nothing revoked\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try RevocationSource.readFile(file, required: true, keyring: keyring, memo: nil, notOlderThan: nil).list.count == 0)
    }

    /// F5: a `key:` revocation survives a restart. A later list (newer iat) signed by the revoked key is refused by a
    /// fresh load that holds nothing but `state/` (a restarted gateway, or `tessera-verify check`).
    @Test func revokedSignerKeysAreRememberedAcrossRestarts() async throws {
        let folder = try TemporaryFolder()
        let stolen = SigningKey(), fresh = SigningKey()
        let keyring = Keyring([stolen.publicKey, fresh.publicKey])
        let revoking = Minter(key: fresh).sign(SignedRevocationList(issuedAt: Timestamp(seconds: 2_000), list: RevocationList([.key(stolen.publicKey.id)])))
        let forged = Minter(key: stolen).sign(SignedRevocationList(issuedAt: Timestamp(seconds: 3_000), list: RevocationList()))
        let file = folder.file("revoked.paseto").path
        let memo = folder.file("state/revocation-list.iat").path
        let source = RevocationSource.file(file)

        try revoking.write(toFile: file, atomically: true, encoding: .utf8)
        _ = try await source.load(keyring: keyring, memo: memo)
        #expect(try String(contentsOfFile: RevocationSource.revokedKeysMemo(besides: memo), encoding: .utf8) == "key:\(stolen.publicKey.id.rawValue)\n")

        // "Restart": nothing held in memory, only state/.
        try forged.write(toFile: file, atomically: true, encoding: .utf8)
        do {
            _ = try await source.load(keyring: keyring, memo: memo)
            Issue.record("a list signed by a revoked key was accepted after a restart")
        } catch {
            #expect(error.message.contains("revokes"), "\(error.message)")
        }
        // A later list signed by the good key still loads, and the revoked key stays remembered.
        let later = Minter(key: fresh).sign(SignedRevocationList(issuedAt: Timestamp(seconds: 4_000), list: RevocationList()))
        try later.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try await source.load(keyring: keyring, memo: memo).issuedAt == Timestamp(seconds: 4_000))
        try forged.write(toFile: file, atomically: true, encoding: .utf8)
        await #expect(throws: RevocationSource.Problem.self) { try await source.load(keyring: keyring, memo: memo) }
    }
}

/// The word-wide scan of `revoked.txt` id lines must agree with the plain definition of an id byte,
/// for every byte value, at every position of a word, and near the end of the buffer (the byte-wise tail).
@Suite struct IDByteScanTests {
    static func isIDByte(_ byte: UInt8) -> Bool {
        (0x41...0x5a).contains(byte) || (0x61...0x7a).contains(byte) || (0x30...0x39).contains(byte) || byte == 0x2d || byte == 0x5f
    }

    static func scan(_ bytes: [UInt8], from start: Int) -> Int {
        let table: [UInt8] = (0...255).map { isIDByte(UInt8($0)) ? 1 : 0 }
        return bytes.withUnsafeBufferPointer { buffer in
            table.withUnsafeBufferPointer { RevocationList.endOfIDBytes(buffer, from: start, table: $0) }
        }
    }

    @Test func everyByteValueAtEveryPositionEndsTheRunWhereTheDefinitionSays() {
        for length in [1, 7, 8, 9, 15, 16, 22, 23, 24, 31] {
            for position in 0..<length {
                for value in 0...255 {
                    var bytes = [UInt8](repeating: UInt8(ascii: "Q"), count: length)
                    bytes[position] = UInt8(value)
                    let expected = Self.isIDByte(UInt8(value)) ? length : position
                    let found = Self.scan(bytes, from: 0)
                    if found != expected {
                        Issue.record("length \(length), byte \(value) at \(position): scan ended at \(found), expected \(expected)")
                        return
                    }
                }
            }
        }
    }

    /// A 22-byte line (the length of tessera's own ids, which the parser checks in one step) is an id
    /// exactly when all its bytes are id bytes, whichever byte is wrong; otherwise it is refused or is
    /// another entry, never this id.
    @Test func aTwentyTwoByteLineIsAnIDOnlyWhenEveryByteIsOne() {
        for position in 0..<22 {
            for value in 0...255 where value != 0x0a {
                var line = Array("AbCdEfGhIjKlMnOpQrSt_-".utf8)
                line[position] = UInt8(value)
                let text = line + Array("\nZyXwVuTsRqPoNmLkJiHg09\n".utf8)
                let parsed = try? RevocationList(parsing: text)
                let id = String(decoding: line, as: UTF8.self)
                if Self.isIDByte(UInt8(value)) {
                    #expect(parsed?.invitationIDs.contains(id) == true, "byte \(value) at \(position)")
                } else if let parsed, parsed.invitationIDs.contains(id) {
                    Issue.record("a line with byte \(value) at \(position) was taken for an id")
                }
            }
        }
    }

    @Test func randomBuffersAgreeWithTheDefinitionFromEveryStart() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let length = Int.random(in: 0...40, using: &generator)
            // Mostly id bytes, so that runs are long enough to cross words.
            let bytes = (0..<length).map { _ in Bool.random(using: &generator) && Bool.random(using: &generator)
                ? UInt8.random(in: 0...255, using: &generator) : UInt8(ascii: "k") }
            for start in 0...length {
                var expected = start
                while expected < length, Self.isIDByte(bytes[expected]) { expected += 1 }
                #expect(Self.scan(bytes, from: start) == expected, "\(bytes) from \(start)")
            }
        }
    }
}
