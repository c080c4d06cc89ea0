import Foundation
import Testing
import TesseraTestSupport

/// Each exit code of `tessera-verify check` (DESIGN §5), on the built binary.
@Suite(.offThePool) struct CheckCommandTests {
    @Test func grantedExitsZeroFromArgumentAndFromStandardInput() throws { try grantedExitsZeroFromArgumentAndFromStandardInputBody() }
    private func grantedExitsZeroFromArgumentAndFromStandardInputBody() throws {
        let site = try MintedSite("--project", "talk", "--role", "viewer")
        let byArgument = try Binary.verify("check", site.token, in: site.folder.url)
        #expect(byArgument.status == 0)
        #expect(byArgument.stdout.contains("valid: invitation \(site.id)"))
        let byStdin = try Binary.verify("check", "-", "--json", in: site.folder.url, stdin: site.token + "\n")
        #expect(byStdin.status == 0)
        let json = try #require(byStdin.json)
        #expect(json["granted"] as? Bool == true)
        #expect(json["project"] as? String == "talk")
        #expect(json["role"] as? String == "viewer")
        #expect(json["invitation"] as? String == site.id)
        #expect(json["expires"] is String)
        let crlf = try Binary.verify("check", in: site.folder.url, stdin: site.token + "\r\n")
        #expect(crlf.status == 0)
        let twoNewlines = try Binary.verify("check", "-", in: site.folder.url, stdin: site.token + "\n\n")
        #expect(twoNewlines.status == 10, "only one trailing newline is allowed")
    }

    @Test func exit2ForUsageAndConfigurationErrors() throws { try exit2ForUsageAndConfigurationErrorsBody() }
    private func exit2ForUsageAndConfigurationErrorsBody() throws {
        let site = try MintedSite("--project", "talk", "--role", "viewer")
        let badFlag = try Binary.verify("check", "--frobnicate", site.token, in: site.folder.url)
        #expect(badFlag.status == 2)
        #expect(badFlag.stderr.hasPrefix("tessera: error: "))

        let noKeys = try Binary.verify("check", "--keys", site.folder.file("nowhere").path, site.token, in: site.folder.url)
        #expect(noKeys.status == 2)
        #expect(noKeys.stderr.contains("nowhere"))
        #expect(noKeys.stderr.contains("tessera: hint: "))

        try site.folder.write("revoked.txt", "# fine\nproject:ok\nthis is not an entry\n")
        let badList = try Binary.verify("check", "--json", site.token, in: site.folder.url)
        #expect(badList.status == 2)
        #expect(badList.stderr.contains("revoked.txt:3:"), "\(badList.stderr)")
        #expect(badList.json?["granted"] as? Bool == false)

        try site.folder.write("revoked.txt", "")
        let badTime = try Binary.verify("check", "--at", "yesterday", site.token, in: site.folder.url)
        #expect(badTime.status == 2)
        #expect(badTime.stderr.contains("--at"))

        let missingList = try Binary.verify("check", "--revoked", "absent.txt", site.token, in: site.folder.url)
        #expect(missingList.status == 2, "an explicitly named list that is missing is an error, not an empty list")
    }

    @Test func exit10ForAMalformedToken() throws { try exit10ForAMalformedTokenBody() }
    private func exit10ForAMalformedTokenBody() throws {
        let site = try MintedSite("--project", "talk", "--role", "viewer")
        let result = try Binary.verify("check", "--json", site.token + "=", in: site.folder.url)
        #expect(result.status == 10)
        #expect(result.json?["reason"] as? String == "malformed")
        #expect(!result.stdout.contains(site.token) && !result.stderr.contains(site.token))
    }

    @Test func exit11ForABadSignatureAndForAnUnknownKey() throws { try exit11ForABadSignatureAndForAnUnknownKeyBody() }
    private func exit11ForABadSignatureAndForAnUnknownKeyBody() throws {
        let site = try MintedSite("--project", "talk", "--role", "viewer")
        let other = try MintedSite("--project", "talk", "--role", "viewer")
        let unknown = try Binary.verify("check", "--json", other.token, in: site.folder.url)
        #expect(unknown.status == 11)
        #expect(unknown.json?["reason"] as? String == "unknown_key")

        // Same claims, signature of another token: the footer names our key but the signature is wrong.
        let parts = site.token.split(separator: ".")
        let otherParts = other.token.split(separator: ".")
        let forged = "v4.public.\(otherParts[2]).\(parts[3])"
        let bad = try Binary.verify("check", "--json", forged, in: site.folder.url)
        #expect(bad.status == 11)
        #expect(bad.json?["reason"] as? String == "bad_signature")
    }

    @Test func exit12ForExpiredAndNotYetValidWithLeeway() throws { try exit12ForExpiredAndNotYetValidWithLeewayBody() }
    private func exit12ForExpiredAndNotYetValidWithLeewayBody() throws {
        let site = try MintedSite("--project", "talk", "--role", "viewer", "--expires", "2h", "--not-before", "2026-01-01T00:00:00Z")
        let future = ISO8601DateFormatter().string(from: Date().addingTimeInterval(3 * 3600))
        let expired = try Binary.verify("check", "--json", "--at", future, site.token, in: site.folder.url)
        #expect(expired.status == 12)
        #expect(expired.json?["reason"] as? String == "expired")
        #expect((expired.json?["detail"] as? String)?.contains("expired at") == true)

        let early = try Binary.verify("check", "--json", "--at", "2025-12-31T23:59:30Z", site.token, in: site.folder.url)
        #expect(early.status == 12, "iat is in the future at that time")
        let withinLeeway = ISO8601DateFormatter().string(from: Date().addingTimeInterval(2 * 3600 + 30))
        #expect(try Binary.verify("check", "--at", withinLeeway, site.token, in: site.folder.url).status == 0)
        #expect(try Binary.verify("check", "--at", withinLeeway, "--leeway", "10s", site.token, in: site.folder.url).status == 12)
    }

    @Test func exit13WhenTheListIsEditedByHand() throws { try exit13WhenTheListIsEditedByHandBody() }
    private func exit13WhenTheListIsEditedByHandBody() throws {
        let site = try MintedSite("--project", "talk", "--role", "viewer")
        #expect(try Binary.verify("check", site.token, in: site.folder.url).status == 0)
        for entry in [site.id, "project:talk", "before:2999-01-01T00:00:00Z"] {
            try site.folder.write("revoked.txt", "# people's own comment\n\(entry)   # revoked by hand\n")
            let result = try Binary.verify("check", "--json", site.token, in: site.folder.url)
            #expect(result.status == 13, "entry \(entry)")
            #expect(result.json?["reason"] as? String == "revoked")
        }
        let kid = try #require(try Binary.tessera("keys", "list", "--json", in: site.folder.url).json?["kid"] as? String)
        try site.folder.write("revoked.txt", "key:\(kid)\n")
        #expect(try Binary.verify("check", site.token, in: site.folder.url).status == 13)
    }

    /// Issue 15: a long `revoked.txt` is read for the one token checked (its id's line only is kept),
    /// and still gives every verdict the whole list gives: revoked wherever its line is, granted
    /// when absent, and exit 2 for a malformed line anywhere, also after the token's own line.
    @Test func aLongListIsReadForTheCheckedTokenAndStillDecidesAlike() throws { try aLongListIsReadForTheCheckedTokenAndStillDecidesAlikeBody() }
    private func aLongListIsReadForTheCheckedTokenAndStillDecidesAlikeBody() throws {
        let site = try MintedSite("--project", "talk", "--role", "viewer")
        // 20,000 other ids: 460 KB, far past the 64 KiB from which the list is read for one token.
        var generator = SystemRandomNumberGenerator()
        let others = (0..<20_000).map { _ in
            String((0..<22).map { _ in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".randomElement(using: &generator)! })
        }
        let body = others.joined(separator: "\n") + "\n"
        try site.folder.write("revoked.txt", body)
        #expect(try Binary.verify("check", site.token, in: site.folder.url).status == 0)
        for (name, text) in [("first", site.id + "\n" + body), ("last", body + site.id + "  # by hand\n"), ("middle", others[..<10_000].joined(separator: "\n") + "\n" + site.id + "\n" + body)] {
            try site.folder.write("revoked.txt", text)
            let result = try Binary.verify("check", "--json", site.token, in: site.folder.url)
            #expect(result.status == 13, "the id's line \(name)")
            #expect(result.json?["reason"] as? String == "revoked", "the id's line \(name)")
        }
        try site.folder.write("revoked.txt", site.id + "\n" + body + "not an entry\n")
        let malformed = try Binary.verify("check", site.token, in: site.folder.url)
        #expect(malformed.status == 2)
        #expect(malformed.stderr.contains("revoked.txt:20002:"), "\(malformed.stderr)")
        // Read from standard input, the token is not known before the list: the whole list is read, same verdict.
        try site.folder.write("revoked.txt", body + site.id + "\n")
        #expect(try Binary.verify("check", "-", in: site.folder.url, stdin: site.token).status == 13)
    }

    @Test func exit14ForAnotherSubjectProjectOrAudience() throws { try exit14ForAnotherSubjectProjectOrAudienceBody() }
    private func exit14ForAnotherSubjectProjectOrAudienceBody() throws {
        let targeted = try MintedSite("--project", "lab", "--role", "viewer", "--for", "alice@example.org", "--audience", "gw")
        let ok = try Binary.verify("check", "--json", "--subject", "alice@example.org", "--project", "lab", "--audience", "gw",
                                   targeted.token, in: targeted.folder.url)
        #expect(ok.status == 0, "\(ok.stdout)")
        #expect(ok.json?["subject"] as? String == "alice@example.org")
        let wrongSubject = try Binary.verify("check", "--json", "--subject", "bob@example.org", "--audience", "gw", targeted.token, in: targeted.folder.url)
        #expect(wrongSubject.status == 14)
        #expect((wrongSubject.json?["detail"] as? String)?.contains("sign in as alice@example.org") == true)
        let wrongProject = try Binary.verify("check", "--project", "other", "--audience", "gw", targeted.token, in: targeted.folder.url)
        #expect(wrongProject.status == 14)
        let wrongAudience = try Binary.verify("check", "--audience", "elsewhere", targeted.token, in: targeted.folder.url)
        #expect(wrongAudience.status == 14)
        // A verifier without an audience refuses a token that carries one, and says how to set it.
        let noAudience = try Binary.verify("check", "--subject", "alice@example.org", targeted.token, in: targeted.folder.url)
        #expect(noAudience.status == 14)
        #expect(noAudience.stderr.contains("denied (not_for_audience)"), "\(noAudience.stderr)")
        #expect(noAudience.stderr.contains("tessera: hint: set --audience or audience in tessera.toml"), "\(noAudience.stderr)")
    }

    @Test func helpExistsForEveryCommandAndOption() throws { try helpExistsForEveryCommandAndOptionBody() }
    private func helpExistsForEveryCommandAndOptionBody() throws {
        let commands: [(String, [String])] = [
            ("tessera", []), ("tessera", ["mint"]), ("tessera", ["show"]), ("tessera", ["keys"]),
            ("tessera", ["keys", "new"]), ("tessera", ["keys", "list"]), ("tessera", ["keys", "export"]),
            ("tessera", ["keys", "import"]), ("tessera", ["keys", "use"]),
            ("tessera-verify", []), ("tessera-verify", ["check"]),
            ("tessera", ["list"]), ("tessera", ["revoke"]), ("tessera", ["prune"]),
            ("tessera-verify", ["members"]), ("tessera-verify", ["ledger"]), ("tessera-verify", ["ledger", "prune"]),
        ]
        for (binary, path) in commands {
            let result = try Binary.run(binary, path + ["--help"])
            #expect(result.status == 0, "\(binary) \(path) --help")
            #expect(result.stdout.contains("USAGE:"))
            // Every option line carries a description, on the same line or the next.
            let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            for (index, line) in lines.enumerated() where line.hasPrefix("  -") {
                let sameLine = line.trimmingCharacters(in: .whitespaces).split(separator: " ", omittingEmptySubsequences: true).count > 2
                    && line.contains("  ") && line.dropFirst(2).contains("  ")
                let nextLine = index + 1 < lines.count && lines[index + 1].hasPrefix("       ")
                #expect(sameLine || nextLine, "\(binary) \(path): option without help: \(line)")
            }
        }
    }
}

/// Settings a verifier takes from the site's tessera.toml when no flag gives them (DESIGN §5, issue 6).
@Suite(.offThePool) struct VerifierSettingsTests {
    @Test func ledgerAndAudienceComeFromTesseraToml() throws { try ledgerAndAudienceComeFromTesseraTomlBody() }
    private func ledgerAndAudienceComeFromTesseraTomlBody() throws {
        let site = try TemporaryFolder()
        try site.write("tessera.toml", "audience = \"gw.example.org\"\nledger = \"sqlite:elsewhere/ledger.sqlite\"\n")
        let minted = try Binary.tessera("mint", "--project", "lab", "--role", "viewer", "--json", in: site.url)
        let token = try #require(minted.json?["token"] as? String)

        let redeemed = try Binary.verify("check", "--redeem", "--subject", "alice@example.org", "--json", token, in: site.url)
        #expect(redeemed.status == 0, "\(redeemed.stderr)")
        #expect(FileManager.default.fileExists(atPath: site.file("elsewhere/ledger.sqlite").path), "the ledger named in tessera.toml, relative to the site")
        #expect(!FileManager.default.fileExists(atPath: site.file("state/ledger.sqlite").path))
        let members = try Binary.verify("members", "--json", in: site.url)
        #expect(members.status == 0)
        #expect(members.json?["subject"] as? String == "alice@example.org")

        // A flag still wins over the file.
        #expect(try Binary.verify("check", "--redeem", "--subject", "bob@example.org", "--ledger", "sqlite:flag.sqlite", token, in: site.url).status == 0)
        #expect(FileManager.default.fileExists(atPath: site.file("flag.sqlite").path))

        // The site's audience applies to plain checks too: an invitation minted without it is not for this verifier.
        let other = try Binary.tessera("mint", "--project", "lab", "--role", "viewer", "--json", "--audience", "elsewhere.example.org", in: site.url)
        let foreign = try #require(other.json?["token"] as? String)
        #expect(try Binary.verify("check", foreign, in: site.url).status == 14)
        #expect(try Binary.verify("check", "--audience", "elsewhere.example.org", foreign, in: site.url).status == 0)

        try site.write("tessera.toml", "ledger = \"mysql://nope\"\n")
        let bad = try Binary.verify("check", "--redeem", "--subject", "carol@example.org", token, in: site.url)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("tessera.toml:1: ledger \"mysql://nope\" is not sqlite:PATH"), "\(bad.stderr)")
    }
}
