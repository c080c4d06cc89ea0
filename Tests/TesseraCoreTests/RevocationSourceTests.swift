import Foundation
import Testing
import TesseraCore
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
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-source-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let key = SigningKey()
        let keyring = Keyring([key.publicKey])
        let id = Minter.newInvitationID()
        let newer = Minter(key: key).sign(SignedRevocationList(issuedAt: Timestamp(seconds: 2_000), list: RevocationList([RevocationList.Entry(id)!])))
        let older = Minter(key: key).sign(SignedRevocationList(issuedAt: Timestamp(seconds: 1_000), list: RevocationList()))
        let file = folder.appendingPathComponent("revoked.paseto").path
        let memo = folder.appendingPathComponent("state/revocation-list.iat").path
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
        let absent = RevocationSource.file(folder.appendingPathComponent("none.txt").path)
        #expect(try await absent.load(keyring: keyring, memo: nil, required: false).list.count == 0)
        await #expect(throws: RevocationSource.Problem.self) { try await absent.load(keyring: keyring, memo: nil) }
        // A malformed text line names its line.
        try "# ok\nnot an entry!\n".write(toFile: file, atomically: true, encoding: .utf8)
        do {
            _ = try await source.load(keyring: keyring, memo: nil)
            Issue.record("a malformed line was accepted")
        } catch {
            #expect(error.kind == .malformedLine && error.line == 2)
        }
    }

    /// F5: a `key:` revocation survives a restart. A later list (newer iat) signed by the revoked key is refused by a
    /// fresh load that holds nothing but `state/` (a restarted gateway, or `tessera-verify check`).
    @Test func revokedSignerKeysAreRememberedAcrossRestarts() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-source-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let stolen = SigningKey(), fresh = SigningKey()
        let keyring = Keyring([stolen.publicKey, fresh.publicKey])
        let revoking = Minter(key: fresh).sign(SignedRevocationList(issuedAt: Timestamp(seconds: 2_000), list: RevocationList([.key(stolen.publicKey.id)])))
        let forged = Minter(key: stolen).sign(SignedRevocationList(issuedAt: Timestamp(seconds: 3_000), list: RevocationList()))
        let file = folder.appendingPathComponent("revoked.paseto").path
        let memo = folder.appendingPathComponent("state/revocation-list.iat").path
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
