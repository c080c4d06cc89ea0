import Foundation
import Testing
import TesseraCore
import TesseraMint
import TesseraTestSupport

/// Issue 11 in the core: the audience as an ordinary claim (checked against pyseto, an independent PASETO
/// implementation, both ways), other issuers' ids, anonymous members, and revocation lists that cannot freeze revocation.
@Suite(.offThePool) struct TrustBoundaryTests {
    static let now = Timestamp(seconds: Timestamp.now.seconds)

    static func invitation(id: String = Minter.newInvitationID(), audience: String? = nil) -> Invitation {
        Invitation(id: id, project: "talk", role: "viewer", issuedAt: Timestamp(seconds: now.seconds - 10),
                   expiresAt: Timestamp(seconds: now.seconds + 3600), audience: audience, anonymous: true)
    }

    // MARK: Keys

    /// An outside review: with `keys/` at mode 777, any local user dropped in a public key of their own and minted tokens
    /// the gateway granted (a `role admin` token for alice). A keys folder or key file that others may write is refused.
    @Test func aKeysFolderOrKeyFileThatAnyoneMayWriteIsRefused() throws {
        let folder = try TemporaryFolder()
        let file = folder.file("site.public.pem").path
        try SigningKey().publicKey.pemRepresentation.write(toFile: file, atomically: true, encoding: .utf8)
        func load(folder folderMode: Int, file fileMode: Int) -> Result<Keyring, Keyring.LoadError> {
            chmod(folder.path, mode_t(folderMode))
            chmod(file, mode_t(fileMode))
            return Result { () throws(Keyring.LoadError) in try Keyring.load(directory: folder.path) }
        }
        #expect((try? load(folder: 0o755, file: 0o644).get())?.keys.count == 1)
        #expect((try? load(folder: 0o775, file: 0o664).get())?.keys.count == 1, "group-writable stays allowed (a deploy group)")
        for (folderMode, fileMode, culprit) in [(0o777, 0o644, folder.path), (0o1777, 0o644, folder.path), (0o755, 0o666, file)] {
            guard case .failure(let error) = load(folder: folderMode, file: fileMode) else {
                Issue.record("loaded with folder \(String(folderMode, radix: 8)) and file \(String(fileMode, radix: 8))")
                continue
            }
            #expect(error == .writableByAnyone(path: culprit, mode: UInt32(culprit == file ? fileMode : folderMode)))
            #expect(error.description.contains("chmod o-w"))
        }
        chmod(folder.path, 0o755)
        chmod(file, 0o644)

        // A second review: a folder above the keys that anyone may write lets anyone swap the whole keys folder; a key
        // file linked into such a folder can be replaced there. Sticky folders (like /tmp, where this test lives) are fine.
        let site = folder.file("site")
        let keys = site.appendingPathComponent("keys")
        try FileManager.default.createDirectory(at: keys, withIntermediateDirectories: true)
        try SigningKey().publicKey.pemRepresentation.write(toFile: keys.appendingPathComponent("a.public.pem").path, atomically: true, encoding: .utf8)
        chmod(site.path, 0o777)
        #expect(throws: Keyring.LoadError.writableByAnyone(path: site.path, mode: 0o777)) { try Keyring.load(directory: keys.path) }
        chmod(site.path, 0o1777)
        #expect((try? Keyring.load(directory: keys.path))?.keys.count == 1)
        chmod(site.path, 0o755)
        let shared = folder.file("shared")
        try FileManager.default.createDirectory(at: shared, withIntermediateDirectories: true)
        try SigningKey().publicKey.pemRepresentation.write(toFile: shared.appendingPathComponent("b.public.pem").path, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: keys.appendingPathComponent("b.public.pem").path, withDestinationPath: shared.appendingPathComponent("b.public.pem").path)
        #expect((try? Keyring.load(directory: keys.path))?.keys.count == 2)
        chmod(shared.path, 0o777)
        #expect(throws: Keyring.LoadError.writableByAnyone(path: shared.path, mode: 0o777)) { try Keyring.load(directory: keys.path) }
        chmod(shared.path, 0o755)
    }

    // MARK: Audience

    @Test func theImplicitAssertionIsEmptyAndAudIsAnOrdinaryClaim() throws {
        let key = SigningKey()
        let token = Minter(key: key).mint(Self.invitation(audience: "gw.example.org"))
        let parsed = try SignedToken(parsing: Array(token.utf8))
        #expect(parsed.isSigned(by: key.publicKey, implicitAssertion: []), "the audience must not be a hidden implicit assertion")
        #expect(!parsed.isSigned(by: key.publicKey, implicitAssertion: Array("gw.example.org".utf8)))
    }

    @Test func aVerifierWithoutAnAudienceRefusesATokenThatCarriesOne() throws {
        let key = SigningKey()
        let keyring = Keyring([key.publicKey])
        let token = Array(Minter(key: key).mint(Self.invitation(audience: "other.example.org")).utf8)
        // The case of the issue: before, a verifier without --audience accepted it.
        #expect(throws: Denial.self) { try Verifier(keyring: keyring).verify(token, at: Self.now) }
        do {
            _ = try Verifier(keyring: keyring).verify(token, at: Self.now)
        } catch {
            #expect(error.reason == .notForAudience)
            #expect(error.detail.contains("--audience"), "names the fix: \(error.detail)")
        }
        #expect(throws: Denial.self) { try Verifier(keyring: keyring, audience: "gw.example.org").verify(token, at: Self.now) }
        #expect(try Verifier(keyring: keyring, audience: "other.example.org").verify(token, at: Self.now).audience == "other.example.org")
        // And a verifier with an audience refuses a token without one.
        let plain = Array(Minter(key: key).mint(Self.invitation()).utf8)
        #expect(throws: Denial.self) { try Verifier(keyring: keyring, audience: "gw.example.org").verify(plain, at: Self.now) }
        #expect(try Verifier(keyring: keyring).verify(plain, at: Self.now).audience == nil)
    }

    @Test(.enabled(if: PySETO.isAvailableOrRequired, "python3 with pyseto is not installed: pip install pyseto"))
    func pysetoMintsATokenWithAudThatTesseraVerifies() throws {
        guard PySETO.require() else { return }
        let key = SigningKey()
        let invitation = Self.invitation(audience: "gw.example.org")
        let footer = "{\"kid\":\"\(key.publicKey.id)\"}"
        let token = try PySETO.run("""
            import sys, pyseto
            from pyseto import Key
            key = Key.from_paserk(sys.argv[1])
            print(pyseto.encode(key, sys.argv[2].encode(), footer=sys.argv[3].encode(), implicit_assertion=b"").decode())
            """, key.paserk, String(decoding: invitation.claimsJSON(), as: UTF8.self), footer)
        let keyring = Keyring([key.publicKey])
        let verified = try Verifier(keyring: keyring, audience: "gw.example.org").verify(Array(token.utf8), at: Self.now)
        #expect(verified.id == invitation.id && verified.audience == "gw.example.org")
        #expect(throws: Denial.self) { try Verifier(keyring: keyring).verify(Array(token.utf8), at: Self.now) }
        #expect(throws: Denial.self) { try Verifier(keyring: keyring, audience: "other.example.org").verify(Array(token.utf8), at: Self.now) }
    }

    @Test(.enabled(if: PySETO.isAvailableOrRequired, "python3 with pyseto is not installed: pip install pyseto"))
    func tesseraMintsATokenWithAudThatPysetoVerifies() throws {
        guard PySETO.require() else { return }
        let key = SigningKey()
        let token = Minter(key: key).mint(Self.invitation(audience: "gw.example.org"))
        let aud = try PySETO.run("""
            import sys, json, pyseto
            from pyseto import Key
            key = Key.from_paserk(sys.argv[1])
            decoded = pyseto.decode(key, sys.argv[2], implicit_assertion=b"")
            print(json.loads(decoded.payload)["aud"])
            """, key.publicKey.paserk, token)
        #expect(aud == "gw.example.org")
    }

    // MARK: Other issuers' ids

    @Test func idsOfOtherIssuersAreAcceptedAndRevocable() throws {
        let key = SigningKey()
        let keyring = Keyring([key.publicKey])
        let ids = ["0f8fad5b-d9cb-469f-a165-70867728950e", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "abcdefghijklmnop", String(repeating: "a", count: 64), "A_b-C_d-E_f-G_h-"]
        for id in ids {
            #expect(Name.isValidInvitationID(id), "\(id)")
            let token = Array(Minter(key: key).mint(Self.invitation(id: id)).utf8)
            #expect(try Verifier(keyring: keyring).verify(token, at: Self.now).id == id)
            let list = try RevocationList(parsing: Array("\(id)  # revoked\n".utf8))
            #expect(throws: Denial.self, "\(id) must be revocable") { try Verifier(keyring: keyring, revocations: list).verify(token, at: Self.now) }
        }
        for bad in ["short", String(repeating: "a", count: 15), String(repeating: "a", count: 65), "has space in it ok", "dots.are.not.ok.1", "slash/not/ok/1234", "ümlautümlautümlaut"] {
            #expect(!Name.isValidInvitationID(bad), "\(bad)")
            #expect(RevocationList.Entry(bad) == nil, "\(bad)")
        }
        // tessera itself keeps minting 22-character ids of 16 random bytes.
        #expect((0..<100).map { _ in Minter.newInvitationID() }.allSatisfy { $0.utf8.count == 22 && Name.isMintedInvitationID($0) })
    }

    // MARK: Anonymous members

    @Test func anAnonymousSubjectIsDerivedFromItsSecretAndNeverTheOtherWay() throws {
        let secret = AnonymousMember.newSecret()
        #expect(secret.utf8.count == 43 && Base64URL.decode(secret)?.count == 32)
        let subject = try #require(AnonymousMember.subject(forSecret: secret))
        #expect(subject.hasPrefix("anon-") && subject.utf8.count == 27)
        #expect(AnonymousMember.subject(forSecret: secret) == subject, "the same secret retried is the same member")
        #expect(AnonymousMember.subject(forSecret: AnonymousMember.newSecret()) != subject)
        // Knowing the subject gives no way to be it: presented as a secret, it names someone else (or no one).
        #expect(AnonymousMember.subject(forSecret: subject) != subject)
        // Too short to hold 128 bits, or not base64url: not a secret.
        for bad in ["", "anon-x", String(repeating: "A", count: 21), "not base64url!!!!!!!!!!!!", secret + "="] {
            #expect(AnonymousMember.subject(forSecret: bad) == nil, "\(bad)")
        }
        // A fixed vector, so other front ends (issue 16) derive the same subject:
        // python3 -c "import hashlib,base64;print('anon-'+base64.urlsafe_b64encode(hashlib.sha256(b'AAAAAAAAAAAAAAAAAAAAAA').digest()).decode()[:22])"
        #expect(AnonymousMember.subject(forSecret: "AAAAAAAAAAAAAAAAAAAAAA") == "anon-ilvbTMFRZBJsbvJmjendJA")
    }

    // MARK: Revocation lists

    static func sign(_ key: SigningKey, iat: Timestamp, exp: Timestamp? = nil, entries: [String] = []) -> [UInt8] {
        let list = RevocationList(entries.map { RevocationList.Entry($0)! })
        return Array(Minter(key: key).sign(SignedRevocationList(issuedAt: iat, expiresAt: exp, list: list)).utf8)
    }

    @Test func aListDatedInTheFutureIsRefusedAndNotRemembered() async throws {
        let folder = try TemporaryFolder()
        let key = SigningKey()
        let keyring = Keyring([key.publicKey])
        let file = folder.file("revoked.paseto").path
        let memo = folder.file("state/revocation-list.iat").path
        let source = RevocationSource.file(file)

        // One skewed build clock: a list dated a day ahead.
        try Data(Self.sign(key, iat: Self.now.adding(seconds: 86_400))).write(to: URL(fileURLWithPath: file))
        do {
            _ = try await source.load(keyring: keyring, memo: memo)
            Issue.record("a list dated in the future was accepted")
        } catch {
            #expect(error.kind == .refused && error.message.contains("in the future"), "\(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: memo), "a refused list must not be remembered")
        // The next genuine list is accepted, not taken for a rollback.
        let id = Minter.newInvitationID()
        try Data(Self.sign(key, iat: Self.now, entries: [id])).write(to: URL(fileURLWithPath: file))
        #expect(try await source.load(keyring: keyring, memo: memo).list.count == 1)
        // A memo dated in the future (left by an older verifier) is not believed either.
        try FileManager.default.createDirectory(atPath: folder.file("state").path, withIntermediateDirectories: true)
        try (Self.now.adding(seconds: 86_400 * 365).rfc3339 + "\n").write(toFile: memo, atomically: true, encoding: .utf8)
        #expect(try await source.load(keyring: keyring, memo: memo).list.count == 1)
        // Within the leeway is fine.
        #expect(throws: Never.self) { try SignedRevocationList(verifying: Self.sign(key, iat: Self.now.adding(seconds: 30)), keyring: keyring, at: Self.now) }
    }

    @Test func aListSignedByARevokedKeyIsRefused() throws {
        let old = SigningKey(), current = SigningKey()
        let keyring = Keyring([old.publicKey, current.publicKey])
        let inForce = RevocationList([RevocationList.Entry("key:\(old.publicKey.id)")!])
        // The revoked key signs a newer, empty list: it would un-revoke itself.
        #expect(throws: SignedRevocationList.Error.self) {
            try SignedRevocationList(verifying: Self.sign(old, iat: Self.now), keyring: keyring, at: Self.now, inForce: inForce)
        }
        // A list revoking its own signer is refused too; the other key's list is fine.
        #expect(throws: SignedRevocationList.Error.self) {
            try SignedRevocationList(verifying: Self.sign(old, iat: Self.now, entries: ["key:\(old.publicKey.id)"]), keyring: keyring, at: Self.now)
        }
        let fine = try SignedRevocationList(verifying: Self.sign(current, iat: Self.now, entries: ["key:\(old.publicKey.id)"]), keyring: keyring,
                                            at: Self.now, inForce: inForce)
        #expect(fine.list == inForce)
    }

    @Test func anExpiredListIsRefusedLikeAnUnverifiableOne() throws {
        let key = SigningKey()
        let keyring = Keyring([key.publicKey])
        let expired = Self.sign(key, iat: Self.now.adding(seconds: -7200), exp: Self.now.adding(seconds: -3600))
        #expect(throws: SignedRevocationList.Error.expired(at: Self.now.adding(seconds: -3600))) {
            try SignedRevocationList(verifying: expired, keyring: keyring, at: Self.now)
        }
        let valid = try SignedRevocationList(verifying: Self.sign(key, iat: Self.now, exp: Self.now.adding(seconds: 3600)), keyring: keyring, at: Self.now)
        #expect(valid.expiresAt == Self.now.adding(seconds: 3600))
        // Without exp (the default, revoked_valid_for off) a list never expires.
        #expect(try SignedRevocationList(verifying: Self.sign(key, iat: Timestamp(seconds: 1_000)), keyring: keyring, at: Self.now).expiresAt == nil)
    }
}

/// python3 with pyseto, the independent PASETO implementation the audience is checked against.
enum PySETO {
    static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    static let isAvailable: Bool = {
        (try? run("import pyseto; print('ok')")) == "ok"
    }()

    /// Run when there, or under CI so that its absence fails.
    static var isAvailableOrRequired: Bool { isAvailable || isCI }

    static func require(sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        if isAvailable { return true }
        let message = "python3 with pyseto is not installed: pip install pyseto"
        if isCI { Issue.record(Comment(rawValue: message + " (required under CI=true)"), sourceLocation: sourceLocation) } else { print("skipping: \(message)") }
        return false
    }

    /// Runs a Python script with arguments; its standard output, trimmed. Throws when it exits non-zero.
    @discardableResult
    static func run(_ script: String, _ arguments: String...) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let failure = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw NSError(domain: "pyseto", code: Int(process.terminationStatus),
                          userInfo: [NSLocalizedDescriptionKey: String(decoding: failure, as: UTF8.self)])
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
