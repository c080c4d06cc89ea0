import Foundation
import Testing
import TesseraTestSupport

@Suite(.offThePool) struct SiteCommandTests {
    static let settings = """
        base_url = "https://invites.example.org/"
        join_url = "https://gw.example.org/join"
        """

    @Test func mintWritesThePageQRAndTokenAndNeutralIndexes() throws { try mintWritesThePageQRAndTokenAndNeutralIndexesBody() }
    private func mintWritesThePageQRAndTokenAndNeutralIndexesBody() throws {
        let site = try TemporaryFolder()
        try site.write("tessera.toml", Self.settings)
        let result = try Binary.tessera("mint", "--project", "talk", "--role", "viewer", "--json", in: site.url)
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(result.json)
        let id = try #require(object["id"] as? String)
        #expect(object["url"] as? String == "https://invites.example.org/i/\(id)/")
        let page = try site.read("out/i/\(id)/index.html")
        #expect(page.contains(try #require(object["token"] as? String)))
        #expect(try site.read("out/i/\(id)/qr.svg").hasPrefix("<svg"))
        #expect(try site.read("out/i/\(id)/token").hasPrefix("v4.public."))
        #expect(!(try site.read("out/index.html")).contains(id), "the index lists no invitations")
        #expect(try site.read("out/i/index.html").contains("<body></body>"))
    }

    @Test func buildWithdrawsRevokedAndExpiredPagesAndPublishesKeysAndList() throws { try buildWithdrawsRevokedAndExpiredPagesAndPublishesKeysAndListBody() }
    private func buildWithdrawsRevokedAndExpiredPagesAndPublishesKeysAndListBody() throws {
        let site = try TemporaryFolder()
        try site.write("tessera.toml", Self.settings)
        func mint(_ extra: String...) throws -> (id: String, token: String) {
            let result = try Binary.run("tessera", ["mint", "--project", "talk", "--role", "viewer", "--json"] + extra, in: site.url)
            let object = try #require(result.json, "\(result.stderr)")
            return (object["id"] as! String, object["token"] as! String)
        }
        let kept = try mint()
        let revoked = try mint()
        let expiring = try mint("--expires", "1s")
        let original = try site.read("revoked.txt")
        try site.write("revoked.txt", original + "\(revoked.id)   # by hand\n")
        Thread.sleep(forTimeInterval: 2.1)

        let build = try Binary.tessera("build", in: site.url)
        #expect(build.status == 0, "\(build.stderr)")
        #expect(build.stdout.contains("built 3 pages: 1 valid, 2 no longer valid"))
        #expect(try site.read("out/i/\(kept.id)/index.html").contains(kept.token))
        for gone in [revoked, expiring] {
            let page = try site.read("out/i/\(gone.id)/index.html")
            #expect(page.contains("no longer valid"))
            #expect(!page.contains(gone.token))
            #expect(!FileManager.default.fileExists(atPath: site.file("out/i/\(gone.id)/token").path))
            #expect(try site.read("withdrawn/\(gone.id).token") == gone.token + "\n", "kept outside out/")
            #expect(try site.mode("withdrawn/\(gone.id).token") == 0o600)
        }
        #expect(try site.read("out/i/\(revoked.id)/index.html").contains("It was revoked."))
        #expect(try site.read("out/i/\(expiring.id)/index.html").contains("It expired on"))
        #expect(try site.read("revoked.txt") == original + "\(revoked.id)   # by hand\n", "build never rewrites the list")
        let listing = try Binary.tessera("list", "--json", in: site.url)
        let statuses = Dictionary(uniqueKeysWithValues: listing.lines.compactMap { line -> (String, String)? in
            guard let row = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return (row["id"] as! String, row["status"] as! String)
        })
        #expect(statuses == [kept.id: "pending", revoked.id: "revoked", expiring.id: "expired"], "list still knows withdrawn invitations")

        // Undoing a revocation by hand brings the page back at the next build.
        try site.write("revoked.txt", original)
        #expect(try Binary.tessera("build", in: site.url).stdout.contains("2 valid, 1 no longer valid"))
        #expect(try site.read("out/i/\(revoked.id)/index.html").contains(revoked.token))
        #expect(!FileManager.default.fileExists(atPath: site.file("withdrawn/\(revoked.id).token").path))
        try site.write("revoked.txt", original + "\(revoked.id)   # by hand\n")
        #expect(try Binary.tessera("build", in: site.url).status == 0)

        let keys = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: site.file("out/.well-known/tessera/keys.json"))) as? [String: Any])
        let entries = try #require(keys["keys"] as? [[String: String]])
        let listed = try #require(try Binary.tessera("keys", "list", "--json", in: site.url).json)
        #expect(entries.count == 1 && entries[0]["kid"] == listed["kid"] as? String && entries[0]["public"] == listed["public"] as? String)

        // A remote verifier that only has the public key and the published list.
        let remote = try TemporaryFolder()
        try FileManager.default.createDirectory(at: remote.file("keys"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: site.file("keys/main.public.pem"), to: remote.file("keys/main.public.pem"))
        let list = site.file("out/.well-known/tessera/revoked.paseto").path
        #expect(try Binary.verify("check", "--revoked", list, kept.token, in: remote.url).status == 0)
        #expect(try Binary.verify("check", "--revoked", list, revoked.token, in: remote.url).status == 13)

        var tampered = try String(contentsOfFile: list, encoding: .utf8).trimmingCharacters(in: .newlines)
        tampered = String(tampered.dropLast(5)) + (tampered.hasSuffix("AAAAA") ? "BBBBB" : "AAAAA")
        try remote.write("tampered.paseto", tampered)
        let refused = try Binary.verify("check", "--revoked", "tampered.paseto", kept.token, in: remote.url)
        #expect(refused.status == 2, "\(refused.stderr)")

        // The verifier remembers the newest list it saw; an older one is refused as a rollback.
        try remote.write("older.paseto", try String(contentsOfFile: list, encoding: .utf8))
        Thread.sleep(forTimeInterval: 1.1)
        #expect(try Binary.tessera("build", in: site.url).status == 0)
        #expect(try Binary.verify("check", "--revoked", list, kept.token, in: remote.url).status == 0)
        let rollback = try Binary.verify("check", "--revoked", "older.paseto", kept.token, in: remote.url)
        #expect(rollback.status == 2)
        #expect(rollback.stderr.contains("rollback"))
    }

    @Test func emailForATargetedInvitationGoesToTheOutbox() throws { try emailForATargetedInvitationGoesToTheOutboxBody() }
    private func emailForATargetedInvitationGoesToTheOutboxBody() throws {
        let site = try TemporaryFolder()
        try site.write("tessera.toml", Self.settings + "\nissuer = \"Example Lab\"\n")
        let result = try Binary.tessera("mint", "--project", "lab", "--role", "viewer", "--for", "alice@example.org", "--email", "--json", in: site.url)
        #expect(result.status == 0, "\(result.stderr)")
        let id = try #require(result.json?["id"] as? String)
        let path = site.file("outbox/\(id).eml").path
        #expect(try site.mode("outbox/\(id).eml") == 0o600)
        guard let python = ExternalTool(name: "python3", package: "python3").require() else { return }
        _ = python
        let parsed = try ExternalTool(name: "python3", package: "python3").run(["-c", """
            import email, sys
            from email import policy
            m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=policy.default)
            print(m['To']); print(m['From']); print(m.get_content_type())
            print(m.get_body(('plain',)).get_content().strip().splitlines()[0])
            print('html' if m.get_body(('html',)) is not None else 'no html')
            """, path])
        #expect(parsed.status == 0, "\(parsed.stderr)")
        let lines = parsed.stdout.split(separator: "\n").map(String.init)
        #expect(lines == ["alice@example.org", "Example Lab <tessera@localhost>", "multipart/alternative", "You are invited to lab as viewer.", "html"])
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("https://invites.example.org/i/\(id)/"))

        let refused = try Binary.tessera("mint", "--project", "lab", "--role", "viewer", "--email", in: site.url)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("--email"))
    }
}

@Suite(.offThePool) struct MintSettingsTests {
    @Test func rolesAndDefaultRoleFromSettingsAreEnforced() throws { try rolesAndDefaultRoleFromSettingsAreEnforcedBody() }
    private func rolesAndDefaultRoleFromSettingsAreEnforcedBody() throws {
        let site = try TemporaryFolder()
        try site.write("tessera.toml", "roles = [\"viewer\", \"editor\"]\ndefault_role = \"editor\"\ndefault_expiry = \"36h\"\n")
        let minted = try Binary.tessera("mint", "--project", "lab", "--json", in: site.url)
        #expect(minted.status == 0, "\(minted.stderr)")
        let token = try #require(minted.json?["token"] as? String)
        let claims = try #require(try Binary.tessera("show", "--json", token, in: site.url).json?["claims"] as? [String: Any])
        #expect(claims["role"] as? String == "editor", "default_role applies when --role is absent")
        let iat = try #require(ISO8601DateFormatter().date(from: claims["iat"] as! String))
        let exp = try #require(ISO8601DateFormatter().date(from: claims["exp"] as! String))
        #expect(exp.timeIntervalSince(iat) == 36 * 3600, "default_expiry applies when --expires is absent")

        let refused = try Binary.tessera("mint", "--project", "lab", "--role", "admin", in: site.url)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("--role: admin is not one of the roles in"))
    }

    @Test func qrFlagDrawsTheCodeInTheTerminalOnlyWhenThePageHasAnAddress() throws { try qrFlagDrawsTheCodeInTheTerminalOnlyWhenThePageHasAnAddressBody() }
    private func qrFlagDrawsTheCodeInTheTerminalOnlyWhenThePageHasAnAddressBody() throws {
        let site = try TemporaryFolder()
        try site.write("tessera.toml", "base_url = \"https://invites.example.org/\"\n")
        let drawn = try Binary.tessera("mint", "--project", "talk", "--role", "viewer", "--qr", in: site.url)
        #expect(drawn.status == 0)
        let art = drawn.stdout.split(separator: "\n").filter { $0.contains("\u{1B}[") }
        #expect(art.count >= 15, "a version-4 code is 33 modules: about 19 half-block lines with the quiet zone")
        #expect(art.allSatisfy { $0.contains("█") || $0.contains("▀") || $0.contains("▄") || $0.contains(" ") })

        let bare = try TemporaryFolder()
        let none = try Binary.tessera("mint", "--project", "talk", "--role", "viewer", "--qr", in: bare.url)
        #expect(none.status == 0)
        #expect(!none.stdout.contains("\u{1B}["))
        #expect(none.stderr.contains("no QR code"))
    }
}
