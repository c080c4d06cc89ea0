import Foundation
import Testing
import TesseraTestSupport

/// Issue 12, deliverable 3: a symlinked `revoked.txt` is written through, never replaced; one leading out of the site is refused up front.
@Suite(.offThePool) struct RevocationLinkTests {
    @Test func revokeAndPruneWriteThroughALinkInsideTheSite() throws { try throughTheLink() }
    private func throughTheLink() throws {
        let site = try TemporaryFolder()
        let old = try Binary.tessera("mint", "--project", "old", "--role", "viewer", "--expires", "1s", "--json", in: site.url)
        let fresh = try Binary.tessera("mint", "--project", "talk", "--role", "viewer", "--json", in: site.url)
        let oldID = try #require(old.json?["id"] as? String), freshID = try #require(fresh.json?["id"] as? String)
        // The list kept in a folder of its own (under version control, say), linked from the site.
        try site.write("lists/revoked.txt", "# kept in git\n")
        try FileManager.default.removeItem(at: site.file("revoked.txt"))
        try FileManager.default.createSymbolicLink(atPath: site.file("revoked.txt").path, withDestinationPath: "lists/revoked.txt")

        let revoke = try Binary.tessera("revoke", oldID, freshID, in: site.url)
        #expect(revoke.status == 0, "\(revoke.stderr)")
        Thread.sleep(forTimeInterval: 1.5)
        let prune = try Binary.tessera("prune", "--leeway", "0s", in: site.url)
        #expect(prune.status == 0, "\(prune.stderr)")
        #expect(prune.stdout.contains("removed revoked.txt line"), "\(prune.stdout)")

        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: site.file("revoked.txt").path) == "lists/revoked.txt", "the link was replaced")
        let kept = try site.read("lists/revoked.txt")
        #expect(kept.hasPrefix("# kept in git\n"))
        #expect(kept.contains(freshID) && !kept.contains(oldID), "\(kept)")
        // And revoke keeps writing where the verifiers read.
        let token = try #require(fresh.json?["token"] as? String)
        #expect(try Binary.verify("check", token, in: site.url).status == 13)
    }

    /// `revoke` printed "revoked invitation …", then failed with "is a symbolic link" (exit 2, still valid).
    @Test func aLinkLeadingOutOfTheSiteIsRefusedBeforeAnythingIsSaid() throws { try outside() }
    private func outside() throws {
        let minted = try MintedSite("--project", "talk", "--role", "viewer", "--expires", "1s")
        let site = minted.folder
        let elsewhere = try TemporaryFolder()
        try elsewhere.write("revoked.txt", "# elsewhere\n\(minted.id)\n")
        try FileManager.default.removeItem(at: site.file("revoked.txt"))
        try FileManager.default.createSymbolicLink(atPath: site.file("revoked.txt").path, withDestinationPath: elsewhere.file("revoked.txt").path)
        let revoke = try Binary.tessera("revoke", "--project", "talk", in: site.url)
        #expect(revoke.status == 2)
        #expect(revoke.stdout.isEmpty, "a success message before the failure: \(revoke.stdout)")
        #expect(revoke.stderr.contains("tessera: error: refusing to write revoked.txt:") && revoke.stderr.contains("outside the site folder"), "\(revoke.stderr)")
        Thread.sleep(forTimeInterval: 1.5)
        let prune = try Binary.tessera("prune", "--leeway", "0s", in: site.url)
        #expect(prune.status == 2 && prune.stdout.isEmpty, "\(prune.stdout) \(prune.stderr)")
        #expect(prune.stderr.contains("outside the site folder"), "\(prune.stderr)")
        #expect(try elsewhere.read("revoked.txt") == "# elsewhere\n\(minted.id)\n", "the outside file was changed")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: site.file("revoked.txt").path) == elsewhere.file("revoked.txt").path)
    }
}

/// Issue 12, deliverable 4: `ledger` and the URL placeholders of `tessera.toml` are honoured by every command.
@Suite(.offThePool) struct SettingsEverywhereTests {
    /// `list` and `prune` opened the default `state/ledger.sqlite`, showing accepted invitations as pending and leaving rows behind.
    @Test func listAndPruneUseTheLedgerFromSettings() throws { try ledgerFromSettings() }
    private func ledgerFromSettings() throws {
        let site = try TemporaryFolder()
        try site.write("tessera.toml", "ledger = \"sqlite:shared/ledger.sqlite\"\n")
        let short = try Binary.tessera("mint", "--project", "talk", "--role", "viewer", "--expires", "2s", "--json", in: site.url)
        let token = try #require(short.json?["token"] as? String), id = try #require(short.json?["id"] as? String)
        let redeem = try Binary.verify("check", "--redeem", "--subject", "alice@example.org", token, in: site.url)
        #expect(redeem.status == 0, "\(redeem.stderr)")
        #expect(FileManager.default.fileExists(atPath: site.file("shared/ledger.sqlite").path))
        #expect(!FileManager.default.fileExists(atPath: site.file("state/ledger.sqlite").path))

        let long = try Binary.tessera("mint", "--project", "talk", "--role", "viewer", "--json", in: site.url)
        let longID = try #require(long.json?["id"] as? String)
        #expect(try Binary.verify("check", "--redeem", "--subject", "bob@example.org", long.json?["token"] as? String ?? "", in: site.url).status == 0)
        let list = try Binary.tessera("list", "--json", in: site.url)
        let row = list.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }.first { $0["id"] as? String == longID }
        #expect(row?["status"] as? String == "accepted", "\(list.stdout)")
        #expect(row?["accepted"] as? Int == 1)

        Thread.sleep(forTimeInterval: 2.5)
        let prune = try Binary.tessera("prune", "--leeway", "0s", in: site.url)
        #expect(prune.status == 0, "\(prune.stderr)")
        #expect(prune.stdout.contains("removed the ledger rows of \(id)"), "\(prune.stdout)")
        let members = try Binary.verify("members", "--json", in: site.url)
        #expect(members.status == 0 && !members.stdout.contains(id) && members.stdout.contains(longID), "rows left behind: \(members.stdout)")
    }

    /// A PostgreSQL ledger is one `tessera` cannot open: `list` says so instead of showing a wrong status.
    @Test func listRefusesALedgerItCannotOpen() throws { try postgresRefused() }
    private func postgresRefused() throws {
        let minted = try MintedSite("--project", "talk", "--role", "viewer")
        try minted.folder.write("tessera.toml", "ledger = \"postgres://tessera@127.0.0.1:1/tessera\"\n")
        let list = try Binary.tessera("list", in: minted.folder.url)
        #expect(list.status == 16, "\(list.stdout) \(list.stderr)")
        #expect(list.stderr.contains("the PostgreSQL ledger is only available to tessera-verify"), "\(list.stderr)")
    }

    /// `{project}` was checked filled in but written raw into the page URL, the QR code, `--json` and the CSP.
    @Test func placeholdersAreFilledEverywhereAURLIsWritten() throws { try placeholders() }
    private func placeholders() throws {
        let site = try TemporaryFolder()
        try site.write("tessera.toml", """
            base_url = "https://{project}.invites.example.org/"
            join_url = "https://{project}.gw.example.org/join/{jti}"
            email_from = "invites@example.org"

            """)
        let mint = try Binary.tessera("mint", "--project", "talk", "--role", "viewer", "--for", "alice@example.org", "--email", "--json", in: site.url)
        #expect(mint.status == 0, "\(mint.stderr)")
        let id = try #require(mint.json?["id"] as? String)
        #expect(mint.json?["url"] as? String == "https://talk.invites.example.org/i/\(id)/")
        let page = try site.read("out/i/\(id)/index.html")
        #expect(page.contains("form-action https://talk.gw.example.org;") || page.contains("form-action https://talk.gw.example.org\""), "CSP: \(page)")
        #expect(page.contains("action=\"https://talk.gw.example.org/join/\(id)\""))
        #expect(page.contains("value=\"https://talk.invites.example.org/i/\(id)/\""))
        let mail = try site.read("outbox/\(id).eml")
        #expect(mail.contains("https://talk.invites.example.org/i/\(id)/"))
        for file in ["out/i/\(id)/index.html", "out/i/\(id)/qr.svg", "outbox/\(id).eml"] {
            let text = try site.read(file)
            #expect(!text.contains("{project}") && !text.contains("{jti}") && !text.contains("%7Bproject"), "\(file) holds a raw placeholder")
        }
        // The QR code, read back by zbarimg from the modules of qr.svg (drawn as a PGM: no SVG renderer needed).
        let zbarimg = ExternalTool(name: "zbarimg", package: "zbar-tools")
        if zbarimg.require() != nil {
            let pgm = site.file("qr.pgm")
            try Self.pgm(fromQRSVG: try site.read("out/i/\(id)/qr.svg")).write(to: pgm)
            let decoded = try zbarimg.run(["--raw", "-q", pgm.path])
            #expect(decoded.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "https://talk.invites.example.org/i/\(id)/", "QR: \(decoded.stdout) \(decoded.stderr)")
        }
        // The page built again later holds the same filled addresses.
        #expect(try Binary.tessera("build", in: site.url).status == 0)
        #expect(try site.read("out/i/\(id)/index.html").contains("form-action https://talk.gw.example.org"))
    }

    /// Rasterises the `M x y h w v1 h-w z` runs of Tessera's QR SVG, 4 pixels a module.
    static func pgm(fromQRSVG svg: String) throws -> Data {
        let side = try #require(svg.firstMatch(of: /viewBox="0 0 (\d+) \d+"/).flatMap { Int($0.1) })
        let scale = 4
        var pixels = [UInt8](repeating: 255, count: side * side * scale * scale)
        for run in svg.matches(of: /M(\d+) (\d+)h(\d+)v1h-\d+z/) {
            let (x, y, width) = (Int(run.1)!, Int(run.2)!, Int(run.3)!)
            for row in (y * scale)..<((y + 1) * scale) {
                for column in (x * scale)..<((x + width) * scale) { pixels[row * side * scale + column] = 0 }
            }
        }
        return Data("P5\n\(side * scale) \(side * scale)\n255\n".utf8) + Data(pixels)
    }

    /// `listen` and `trusted_proxies`, checked by `serve` after parsing, were reported without their line and echoed whole.
    @Test func serveSettingsErrorsNameTheirLineAndCutLongValues() throws { try serveSettings() }
    private func serveSettings() throws {
        let minted = try MintedSite("--project", "talk", "--role", "viewer")
        let site = minted.folder
        try site.write("tessera.toml", "# gateway\n[gateway]\nlisten = \"nowhere\"\n")
        let listen = try Binary.verify("serve", in: site.url)
        #expect(listen.status == 2)
        #expect(listen.stderr.contains("tessera: error: \(site.path)/tessera.toml:3: [gateway] listen: \"nowhere\" is not HOST:PORT")
            || listen.stderr.contains("tessera.toml:3: [gateway] listen: \"nowhere\" is not HOST:PORT"), "\(listen.stderr)")
        let long = String(repeating: "10.0.0.", count: 20_000)
        try site.write("tessera.toml", "[gateway]\n\ntrusted_proxies = [\"127.0.0.1\", \"\(long)\"]\n")
        let proxies = try Binary.verify("serve", in: site.url)
        #expect(proxies.status == 2)
        #expect(proxies.stderr.contains("tessera.toml:3: [gateway] trusted_proxies: \"10.0.0.10.0.0."), "\(proxies.stderr.prefix(300))")
        #expect(proxies.stderr.contains("…\" (140000 bytes) is not an IP address"), "\(proxies.stderr.prefix(300))")
        #expect(proxies.stderr.utf8.count < 1000, "the value was echoed whole: \(proxies.stderr.utf8.count) bytes")
    }
}

/// Issue 12, deliverable 5: mail that mail programs read, checked by Python's `email` package with the strict policy.
@Suite(.offThePool) struct InvitationMailTests {
    static let python = ExternalTool(name: "python3", package: "python3")

    /// Parses an .eml with `email.policy.strict` (any defect raises) and reports what a mail program would see.
    static let parser = #"""
        import email, email.policy, json, sys
        data = open(sys.argv[1], "rb").read()
        msg = email.message_from_bytes(data, policy=email.policy.strict)
        lines = data.split(b"\r\n")
        head = lines[:lines.index(b"")]
        parts = {p.get_content_type(): p.get_content() for p in msg.iter_parts()}
        print(json.dumps({
            "from": [[a.display_name, a.addr_spec] for a in msg["From"].addresses],
            "to": [a.addr_spec for a in msg["To"].addresses],
            "subject": str(msg["Subject"]),
            "header_max": max(len(l) for l in head),
            "line_max": max(len(l) for l in lines),
            "bare_lf": b"\n" in data.replace(b"\r\n", b""),
            "encoded_word_max": max([len(w) for l in head for w in l.split() if w.startswith(b"=?")] or [0]),
            "text": parts.get("text/plain", ""),
            "html": parts.get("text/html", ""),
            "defects": [str(d) for d in msg.defects],
        }))
        """#

    @Test func fromIsOneMailboxHeadersAreFoldedAndBodiesStayShort() throws { try strictParse() }
    private func strictParse() throws {
        guard Self.python.require() != nil else { return }
        let site = try TemporaryFolder()
        try site.write("tessera.toml", """
            base_url = "https://invites.example.org/"
            issuer = "Müller Lab, Berlin"
            email_from = "invitations@lab.example.org"

            """)
        let label = (0..<40).map { "Woche \($0) über Grenzen" }.joined(separator: " ")
        let mint = try Binary.tessera("mint", "--project", "lab", "--role", "viewer", "--for", "alice@example.org", "--email", "--label", label, "--json", in: site.url)
        #expect(mint.status == 0, "\(mint.stderr)")
        let id = try #require(mint.json?["id"] as? String)
        try site.write("parse.py", Self.parser)
        let parsed = try Self.python.run([site.file("parse.py").path, site.file("outbox/\(id).eml").path])
        #expect(parsed.status == 0, "the strict parser refused the message: \(parsed.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(parsed.stdout.utf8)) as? [String: Any])
        #expect((report["from"] as? [[String]]) == [["Müller Lab, Berlin", "invitations@lab.example.org"]], "From: \(report["from"] ?? "")")
        #expect((report["to"] as? [String]) == ["alice@example.org"])
        #expect(report["subject"] as? String == "Invitation to lab: " + label)
        #expect((report["header_max"] as? Int ?? 999) <= 78, "a header line is \(report["header_max"] ?? "") characters")
        #expect((report["line_max"] as? Int ?? 999) < 998)
        #expect((report["encoded_word_max"] as? Int ?? 99) <= 75)
        #expect(report["bare_lf"] as? Bool == false)
        #expect((report["defects"] as? [String])?.isEmpty == true)
        #expect((report["text"] as? String)?.contains("https://invites.example.org/i/\(id)/") == true)
        #expect((report["html"] as? String)?.contains("https://invites.example.org/i/\(id)/") == true)
    }

    /// A body line longer than 998 bytes (a long label with no line break) goes quoted-printable and still reads back whole.
    @Test func aLongLabelLineIsSentQuotedPrintable() throws { try longBodyLine() }
    private func longBodyLine() throws {
        guard Self.python.require() != nil else { return }
        let site = try TemporaryFolder()
        try site.write("tessera.toml", "base_url = \"https://invites.example.org/\"\nissuer = \"Lab \\\"Q\\\" (B)\"\n")
        let label = String(repeating: "ä", count: 490)
        let mint = try Binary.tessera("mint", "--project", "lab", "--role", "viewer", "--for", "bob@example.org", "--email", "--label", label, "--json", in: site.url)
        #expect(mint.status == 0, "\(mint.stderr)")
        let id = try #require(mint.json?["id"] as? String)
        try site.write("parse.py", Self.parser)
        let parsed = try Self.python.run([site.file("parse.py").path, site.file("outbox/\(id).eml").path])
        #expect(parsed.status == 0, "\(parsed.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(parsed.stdout.utf8)) as? [String: Any])
        #expect((report["line_max"] as? Int ?? 9999) < 998)
        #expect((report["from"] as? [[String]]) == [["Lab \"Q\" (B)", "tessera@localhost"]])
        #expect((report["text"] as? String)?.contains("(\(label))") == true)
        #expect(try site.read("outbox/\(id).eml").contains("Content-Transfer-Encoding: quoted-printable"))
    }

    /// `--email` without `base_url` wrote an email with neither link nor token.
    @Test func emailWithoutBaseURLIsRefused() throws { try noBaseURL() }
    private func noBaseURL() throws {
        let site = try TemporaryFolder()
        let mint = try Binary.tessera("mint", "--project", "lab", "--role", "viewer", "--for", "alice@example.org", "--email", in: site.url)
        #expect(mint.status == 2)
        #expect(mint.stderr.contains("tessera: error: --email: the email needs the page's public link, and tessera.toml sets no base_url"), "\(mint.stderr)")
        #expect(!FileManager.default.fileExists(atPath: site.file("outbox").path))
        #expect(!FileManager.default.fileExists(atPath: site.file("out").path), "nothing is minted")
    }
}

/// Issue 12, deliverable 6: text that cannot lie, on pages and on terminals; key names that stay names.
@Suite(.offThePool) struct TextSafetyTests {
    /// A subject with U+202E showed on the page as another address ("For: xalice@evil.org").
    @Test func bidiControlsAreRefusedAtMint() throws { try bidi() }
    private func bidi() throws {
        let site = try TemporaryFolder()
        for (flag, value) in [("--for", "gro.live@\u{202E}ecila"), ("--label", "Room \u{2066}2"), ("--uid", "u\u{200F}1"), ("--label", "a\u{061C}b")] {
            let mint = try Binary.tessera("mint", "--project", "lab", "--role", "viewer", flag, value, in: site.url)
            #expect(mint.status == 2, "\(flag) \(value.unicodeScalars.map(\.value))")
            #expect(mint.stderr.contains("tessera: error: \(flag): holds a bidirectional control character"), "\(mint.stderr)")
            #expect(!mint.stderr.unicodeScalars.contains { (0x2066...0x2069).contains($0.value) || (0x202a...0x202e).contains($0.value) || $0.value == 0x200f || $0.value == 0x61c })
        }
        let pages = (try? FileManager.default.contentsOfDirectory(atPath: site.file("out/i").path)) ?? []
        #expect(pages.filter { $0 != "index.html" }.isEmpty, "minted although refused: \(pages)")
    }

    /// `keys list` printed raw escape sequences from file names in keys/. Such a file is skipped
    /// with a warning (review F10: by every reader alike), its name escaped as `\u001b`.
    @Test func keyFileNamesAreCheckedAndNeverPrintedRaw() throws { try keyFileNames() }
    private func keyFileNames() throws {
        let minted = try MintedSite("--project", "lab", "--role", "viewer")
        let site = minted.folder
        let evil = "\u{1b}]0;owned\u{07}\u{1b}[2J"
        try FileManager.default.copyItem(at: site.file("keys/main.public.pem"), to: site.file("keys/\(evil).public.pem"))
        let list = try Binary.tessera("keys", "list", in: site.url)
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("* main  "), "\(list.stdout)")
        #expect(list.stderr.contains("its name is not a key name"), "\(list.stderr)")
        #expect(!(list.stdout + list.stderr).unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "a control character reached the terminal")
        #expect(list.stderr.contains("tessera: warning: skipping keys/\\u001b]0;owned\\u0007\\u001b[2J.public.pem: its name is not a key name"), "\(list.stderr)")
    }

    /// `list`'s error line for a token file that does not verify quoted the file raw.
    @Test func listErrorLinesEscapeControlCharacters() throws { try listErrors() }
    private func listErrors() throws {
        // The file name comes from the site folder's own name here: a folder someone else named.
        let parent = try TemporaryFolder()
        let name = "site\u{1b}]0;owned\u{07}\u{9b}2J\u{202E}"
        let mint = try Binary.tessera("mint", "--site", name, "--project", "lab", "--role", "viewer", in: parent.url)
        #expect(mint.status == 0, "\(mint.stderr)")
        try parent.write("\(name)/out/i/AAAAAAAAAAAAAAAAAAAAAA/token", "v4.public.\u{1b}[31mred\n")
        for result in [mint, try Binary.tessera("list", "--site", name, in: parent.url)] {
            #expect(result.status == 0, "\(result.stderr)")
            #expect(!(result.stdout + result.stderr).unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || (0x7f...0x9f).contains($0.value) || $0.value == 0x202e },
                    "a control character reached the terminal: \(result.stderr.debugDescription) \(result.stdout.debugDescription)")
        }
        let list = try Binary.tessera("list", "--site", name, in: parent.url)
        #expect(list.stderr.contains("tessera: invalid: site\\u001b]0;owned\\u0007\\u009b2J\\u202e/out/i/AAAAAAAAAAAAAAAAAAAAAA/token"), "\(list.stderr)")
        let json = try Binary.tessera("list", "--json", "--site", name, in: parent.url)
        #expect(json.lines.count == 2)
        for line in json.lines {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "escaping broke the JSON: \(line)")
        }
    }

    /// `mint --key ../elsewhere/evil` published a page no verifier accepts; `keys use ../x` broke every later mint.
    @Test func keyNamesAreCheckedWhereverTheyAreRead() throws { try keyNames() }
    private func keyNames() throws {
        let minted = try MintedSite("--project", "lab", "--role", "viewer")
        let site = minted.folder
        let outside = try TemporaryFolder()
        #expect(try Binary.tessera("keys", "new", "--site", outside.path, "--name", "evil").status == 0)
        let relative = "../" + outside.url.lastPathComponent + "/keys/evil"
        for name in [relative, "..", ".", ".hidden", "a/b", "x\u{1b}", String(repeating: "k", count: 65), ""] {
            let mint = try Binary.tessera("mint", "--project", "lab", "--role", "viewer", "--key", name, in: site.url)
            #expect(mint.status == 2, "mint --key \(name.debugDescription): \(mint.stdout)")
            #expect(mint.stderr.contains("is not a key name") || mint.stderr.contains("not a key name"), "\(mint.stderr)")
            let use = try Binary.tessera("keys", "use", name, in: site.url)
            #expect(use.status == 2, "keys use \(name.debugDescription)")
            let imported = try Binary.tessera("keys", "import", site.file("keys/main.public.pem").path, "--name", name, in: site.url)
            #expect(imported.status == 2, "keys import --name \(name.debugDescription)")
        }
        #expect(try site.read("keys/signing") == "main\n", "keys use changed the signing key")
        #expect(try Binary.tessera("mint", "--project", "lab", "--role", "viewer", in: site.url).status == 0)
        #expect((try FileManager.default.contentsOfDirectory(atPath: site.file("out/i").path)).count == 3)
    }
}

/// Issue 12, deliverable 7: first-run edges.
@Suite(.offThePool) struct FirstRunTests {
    @Test func anEmptySiteIsAnError() throws { try emptySite() }
    private func emptySite() throws {
        let folder = try TemporaryFolder()
        for arguments in [["mint", "--site", "", "--project", "p", "--role", "r"], ["list", "--site", ""], ["keys", "list", "--site", ""]] {
            let result = try Binary.run("tessera", arguments, in: folder.url)
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr.contains("tessera: error: --site: an empty path names no folder"), "\(result.stderr)")
        }
        let check = try Binary.verify("check", "--site", "", "v4.public.x", in: folder.url)
        #expect(check.status == 2 && check.stderr.contains("--site: an empty path names no folder"), "\(check.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty, "something was created")
    }

    @Test func importingASecretKeyFromAReadableFileWarns() throws { try readableImport() }
    private func readableImport() throws {
        let source = try TemporaryFolder()
        #expect(try Binary.tessera("keys", "new", "--site", source.path, "--name", "k").status == 0)
        let secret = source.file("keys/k.secret.pem").path
        chmod(secret, 0o644)
        let site = try TemporaryFolder()
        let result = try Binary.tessera("keys", "import", secret, "--name", "imported", in: site.url)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("tessera: warning: \(secret) is readable by group or others (mode 644)"), "\(result.stderr)")
        chmod(secret, 0o600)
        let other = try TemporaryFolder()
        let quiet = try Binary.tessera("keys", "import", secret, "--name", "again", in: other.url)
        #expect(quiet.status == 0 && !quiet.stderr.contains("warning"), "\(quiet.stderr)")
    }

    @Test func checkGivenAFilePathSaysSo() throws { try checkPath() }
    private func checkPath() throws {
        let minted = try MintedSite("--project", "lab", "--role", "viewer")
        let path = "out/i/\(minted.id)/token"
        let check = try Binary.verify("check", path, in: minted.folder.url)
        #expect(check.status == 10)
        #expect(check.stderr.contains("tessera: hint: \(path) is a file: the argument is the token itself; to read the file, run 'tessera-verify check - < \(path)'"), "\(check.stderr)")
        let plain = try Binary.verify("check", "not-a-file", in: minted.folder.url)
        #expect(plain.status == 10 && !plain.stderr.contains("hint"), "\(plain.stderr)")
    }

    @Test func pagePathsPrintedAfterSiteAreUsableFromHere() throws { try pagePaths() }
    private func pagePaths() throws {
        let here = try TemporaryFolder()
        let mint = try Binary.tessera("mint", "--site", "lab-site", "--project", "lab", "--role", "viewer", in: here.url)
        #expect(mint.status == 0, "\(mint.stderr)")
        let path = try #require(mint.lines.last?.split(separator: " ").last.map(String.init))
        #expect(path.hasPrefix("lab-site/out/i/"), "\(mint.stdout)")
        #expect(FileManager.default.fileExists(atPath: here.file(path).path), "\(path) does not exist from the current folder")
        let json = try Binary.tessera("mint", "--site", "lab-site", "--project", "lab", "--role", "viewer", "--json", in: here.url)
        let page = try #require(json.json?["page"] as? String)
        #expect(FileManager.default.fileExists(atPath: here.file(page).path), "\(page)")
    }
}
