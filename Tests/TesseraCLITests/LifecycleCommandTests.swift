import Foundation
import Testing
import TesseraCore
import TesseraTestSupport

/// The JSON objects on every line of standard output.
private func jsonLines(_ result: Binary.Result) -> [[String: Any]] {
    result.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
}

/// `tessera revoke`, `tessera list`, `tessera-verify members`, `tessera prune`, `tessera-verify ledger prune` on the built binaries.
@Suite(.offThePool) struct LifecycleCommandTests {
    @Test func revokeAppendsAnEntryAndKeepsWhatPeopleWrote() throws { try revokeAppendsAnEntryAndKeepsWhatPeopleWroteBody() }
    private func revokeAppendsAnEntryAndKeepsWhatPeopleWroteBody() throws {
        let site = try MintedSite("--project", "lab", "--role", "viewer")
        let handWritten = "# our list\nproject:old-talk   # paused by ann\n\n# keep this comment"  // no final newline
        try site.folder.write("revoked.txt", handWritten)

        let revoked = try Binary.tessera("revoke", site.id, "--reason", "posted\non a\tpublic forum", in: site.folder.url)
        #expect(revoked.status == 0, "\(revoked.stderr)")
        #expect(revoked.stdout.contains("revoked invitation \(site.id) (project lab, role viewer)"))
        let text = try site.folder.read("revoked.txt")
        #expect(text.hasPrefix(handWritten + "\n"), "the hand-written lines stay byte for byte, and the last one gets its newline")
        let added = text.dropFirst(handWritten.count + 1).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(added.count == 2 && added[1].isEmpty)
        let line = String(added[0])
        #expect(line.hasPrefix("\(site.id)  # revoked 20"), "\(line)")
        #expect(line.hasSuffix("Z: posted on a public forum"), "\(line)")
        #expect(try Binary.verify("check", site.token, in: site.folder.url).status == 13)

        let again = try Binary.tessera("revoke", site.id, in: site.folder.url)
        #expect(again.status == 0)
        #expect(again.stdout.contains("already revoked"))
        #expect(again.stdout.contains("line 5"))
        #expect(try site.folder.read("revoked.txt") == text, "an entry already present is not duplicated")
    }

    @Test func revokeRefusesWhatThisSiteDidNotMint() throws { try revokeRefusesWhatThisSiteDidNotMintBody() }
    private func revokeRefusesWhatThisSiteDidNotMintBody() throws {
        let site = try MintedSite("--project", "lab", "--role", "viewer")
        let before = try site.folder.read("revoked.txt")
        let elsewhere = "Qm9vb2JhcmJhemJhenF1eA"
        let unknown = try Binary.tessera("revoke", elsewhere, in: site.folder.url)
        #expect(unknown.status == 2)
        #expect(unknown.stderr.hasPrefix("tessera: error: no invitation \(elsewhere) in this site"), "\(unknown.stderr)")
        #expect(unknown.stderr.contains("tessera: hint: 'tessera list'"))
        #expect(unknown.stderr.contains("--force"))
        #expect(try Binary.tessera("revoke", "not-an-id", in: site.folder.url).status == 2)
        #expect(try Binary.tessera("revoke", in: site.folder.url).status == 2)
        #expect(try Binary.tessera("revoke", "--project", "nothing-here", in: site.folder.url).status == 2)
        #expect(try Binary.tessera("revoke", "--key", "nokey", in: site.folder.url).status == 2)
        #expect(try site.folder.read("revoked.txt") == before)

        let forced = try Binary.tessera("revoke", "--force", elsewhere, in: site.folder.url)
        #expect(forced.status == 0)
        #expect(try site.folder.read("revoked.txt").contains("\n\(elsewhere)  # revoked "))

        try site.folder.write("revoked.txt", "this is not an entry\n")
        let malformed = try Binary.tessera("revoke", site.id, in: site.folder.url)
        #expect(malformed.status == 2)
        #expect(malformed.stderr.contains("revoked.txt:1:"))
    }

    @Test func revokeByProjectAndByKey() throws { try revokeByProjectAndByKeyBody() }
    private func revokeByProjectAndByKeyBody() throws {
        let site = try MintedSite("--project", "talk-2026", "--role", "viewer")
        let byProject = try Binary.tessera("revoke", "--project", "talk-2026", "--reason", "talk is over", in: site.folder.url)
        #expect(byProject.status == 0)
        #expect(byProject.stdout.contains("every invitation for project talk-2026 (1 invitation in this site)"))
        #expect(try site.folder.read("revoked.txt").contains("\nproject:talk-2026  # revoked "))

        let keys = try Binary.tessera("keys", "list", "--json", in: site.folder.url)
        let kid = try #require(jsonLines(keys).first?["kid"] as? String)
        let name = try #require(jsonLines(keys).first?["name"] as? String)
        let byName = try Binary.tessera("revoke", "--key", name, in: site.folder.url)
        #expect(byName.status == 0, "\(byName.stderr)")
        #expect(try site.folder.read("revoked.txt").contains("\nkey:\(kid)  # revoked "))
        let byID = try Binary.tessera("revoke", "--key", kid, in: site.folder.url)
        #expect(byID.stdout.contains("already revoked"))
        #expect(try Binary.verify("check", site.token, in: site.folder.url).status == 13)
    }

    @Test func listShowsEveryInvitationWithItsStatus() async throws {
        let site = try MintedSite("--project", "lab", "--role", "viewer", "--uses", "3", "--label", "lab onboarding")
        let expiring = try mintInvitation(in: site.folder, "--project", "lab", "--role", "viewer", "--expires", "1s")
        let revoked = try mintInvitation(in: site.folder, "--project", "talk", "--role", "viewer")
        let targeted = try mintInvitation(in: site.folder, "--project", "lab", "--role", "admin", "--for", "alice@example.org")
        let signup = try mintInvitation(in: site.folder, "--project", "lab", "--role", "viewer", "--uid", "u-7")
        #expect(try Binary.tessera("revoke", revoked.id, in: site.folder.url).status == 0)

        let noLedger = try Binary.tessera("list", "--json", in: site.folder.url)
        #expect(noLedger.status == 0)
        #expect(!FileManager.default.fileExists(atPath: site.folder.file("state/ledger.sqlite").path), "listing never creates a ledger")

        for subject in ["ann", "bob"] {
            #expect(try Binary.verify("check", "--redeem", "--subject", subject, site.token, in: site.folder.url).status == 0)
        }
        try FileManager.default.createDirectory(at: site.folder.file("out/i/AAAAAAAAAAAAAAAAAAAAAA"), withIntermediateDirectories: true)
        try site.folder.write("out/i/AAAAAAAAAAAAAAAAAAAAAA/token", "v4.public.forged\n")
        try await Task.sleep(for: .seconds(1.2))

        let result = try Binary.tessera("list", "--json", in: site.folder.url)
        #expect(result.status == 0, "\(result.stderr)")
        let rows = jsonLines(result)
        #expect(rows.count == 6)
        func row(_ id: String) -> [String: Any]? { rows.first { $0["id"] as? String == id } }
        #expect(row(site.id)?["status"] as? String == "accepted")
        #expect(row(site.id)?["accepted"] as? Int == 2)
        #expect(row(site.id)?["uses"] as? Int == 3)
        #expect(row(site.id)?["project"] as? String == "lab")
        #expect(row(site.id)?["role"] as? String == "viewer")
        #expect(row(site.id)?["expires"] is String)
        #expect(row(site.id)?["label"] as? String == "lab onboarding")
        #expect(row(expiring.id)?["status"] as? String == "expired")
        #expect(row(revoked.id)?["status"] as? String == "revoked")
        #expect(row(targeted.id)?["status"] as? String == "pending")
        #expect(row(targeted.id)?["for"] as? String == "alice@example.org")
        #expect(row(targeted.id)?["uses"] as? Int == 1)
        #expect(row(signup.id)?["uid"] as? String == "u-7")
        #expect(row("AAAAAAAAAAAAAAAAAAAAAA")?["status"] as? String == "invalid", "an unverifiable token file is never trusted")
        for object in rows {
            for field in ["id", "project", "role", "status", "uses", "accepted", "expires"] { #expect(object[field] != nil, "\(field) missing") }
        }

        let lab = jsonLines(try Binary.tessera("list", "--json", "--project", "talk", in: site.folder.url))
        #expect(lab.map { $0["id"] as? String } == [revoked.id])

        let table = try Binary.tessera("list", in: site.folder.url)
        #expect(table.status == 0)
        let header = try #require(table.lines.first)
        for column in ["ID", "PROJECT", "ROLE", "FOR", "STATUS", "ACCEPTED", "EXPIRES"] { #expect(header.contains(column)) }
        #expect(table.lines.contains { $0.contains(site.id) && $0.contains("accepted") && $0.contains("2/3") })
        #expect(table.lines.contains { $0.contains(targeted.id) && $0.contains("alice@example.org") && $0.contains("0/1") })
        #expect(table.lines.contains { $0.contains(revoked.id) && $0.contains("0/∞") })
        #expect(table.stderr.contains("invalid"))
    }

    @Test func membersShowsWhoAcceptedWhatAndWhen() throws { try membersShowsWhoAcceptedWhatAndWhenBody() }
    private func membersShowsWhoAcceptedWhatAndWhenBody() throws {
        let site = try MintedSite("--project", "lab", "--role", "viewer")
        let talk = try mintInvitation(in: site.folder, "--project", "talk", "--role", "speaker")
        let empty = try Binary.verify("members", "--json", in: site.folder.url)
        #expect(empty.status == 0 && empty.stdout.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: site.folder.file("state/ledger.sqlite").path))

        #expect(try Binary.verify("check", "--redeem", "--subject", "ann", site.token, in: site.folder.url).status == 0)
        #expect(try Binary.verify("check", "--redeem", "--subject", "bob", talk.token, in: site.folder.url).status == 0)

        let all = try Binary.verify("members", "--json", in: site.folder.url)
        #expect(all.status == 0)
        let rows = jsonLines(all)
        #expect(rows.count == 2)
        let ann = try #require(rows.first { $0["subject"] as? String == "ann" })
        #expect(ann["invitation"] as? String == site.id)
        #expect(ann["project"] as? String == "lab")
        #expect(ann["role"] as? String == "viewer")
        #expect((ann["accepted"] as? String)?.hasSuffix("Z") == true)
        #expect(ann["expires"] is String)

        let talkOnly = jsonLines(try Binary.verify("members", "--json", "--project", "talk", in: site.folder.url))
        #expect(talkOnly.map { $0["subject"] as? String } == ["bob"])
        let table = try Binary.verify("members", in: site.folder.url)
        #expect(table.lines.first?.hasPrefix("INVITATION") == true)
        #expect(table.lines.contains { $0.contains(talk.id) && $0.contains("bob") && $0.contains("speaker") })

        try site.folder.write("broken.sqlite", String(repeating: "x", count: 5000))
        let broken = try Binary.verify("members", "--ledger", "sqlite:broken.sqlite", in: site.folder.url)
        #expect(broken.status == 16)
        #expect(broken.stderr.hasPrefix("tessera: error: the ledger is unavailable"))
    }

    @Test func pruneRemovesOnlyWhatExpiredInvitationsLeftBehind() async throws {
        let site = try MintedSite("--project", "lab", "--role", "viewer")
        let expiring = try mintInvitation(in: site.folder, "--project", "lab", "--role", "viewer", "--expires", "1s")
        #expect(try Binary.verify("check", "--redeem", "--subject", "ann", expiring.token, in: site.folder.url).status == 0)
        #expect(try Binary.verify("check", "--redeem", "--subject", "ann", site.token, in: site.folder.url).status == 0)
        let header = try site.folder.read("revoked.txt")
        try site.folder.write("revoked.txt", header + "\(expiring.id)   # leaked\n# \(expiring.id) mentioned in a comment\nproject:paused\n\(site.id)\n")
        let listed = try site.folder.read("revoked.txt")
        try await Task.sleep(for: .seconds(1.2))

        let dryRun = try Binary.tessera("prune", "--dry-run", "--leeway", "0s", in: site.folder.url)
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        #expect(dryRun.stdout.contains("would remove out/i/\(expiring.id)/"))
        #expect(dryRun.stdout.contains("would remove revoked.txt line"))
        #expect(dryRun.stdout.contains("would remove the ledger rows of \(expiring.id)"))
        #expect(!dryRun.stdout.contains(site.id))
        #expect(try site.folder.read("revoked.txt") == listed, "a dry run changes nothing")
        #expect(FileManager.default.fileExists(atPath: site.folder.file("out/i/\(expiring.id)/token").path))
        #expect(try await ledgerRows(site.folder).count == 2)

        let kept = try Binary.tessera("prune", "--leeway", "1h", in: site.folder.url)
        #expect(kept.stdout.contains("nothing to prune"), "a leeway keeps a just-expired invitation")

        let pruned = try Binary.tessera("prune", "--leeway", "0s", in: site.folder.url)
        #expect(pruned.status == 0)
        #expect(pruned.stdout.contains("pruned 1 invitation"))
        #expect(try site.folder.read("revoked.txt") == header + "# \(expiring.id) mentioned in a comment\nproject:paused\n\(site.id)\n")
        #expect(!FileManager.default.fileExists(atPath: site.folder.file("out/i/\(expiring.id)").path))
        #expect(FileManager.default.fileExists(atPath: site.folder.file("out/i/\(site.id)/token").path))
        #expect(try await ledgerRows(site.folder).map(\.invitationID) == [site.id])
        #expect(try Binary.tessera("prune", "--leeway", "0s", in: site.folder.url).stdout.contains("nothing to prune"))
    }

    @Test func ledgerPruneRemovesOnlyExpiredRows() async throws {
        let site = try MintedSite("--project", "lab", "--role", "viewer")
        let expiring = try mintInvitation(in: site.folder, "--project", "lab", "--role", "viewer", "--expires", "1s")
        let missing = try Binary.verify("ledger", "prune", in: site.folder.url)
        #expect(missing.status == 0 && missing.stdout.contains("nothing to prune"))
        #expect(try Binary.verify("check", "--redeem", "--subject", "ann", expiring.token, in: site.folder.url).status == 0)
        #expect(try Binary.verify("check", "--redeem", "--subject", "bob", site.token, in: site.folder.url).status == 0)
        try await Task.sleep(for: .seconds(1.2))

        let dryRun = try Binary.verify("ledger", "prune", "--dry-run", "--leeway", "0s", in: site.folder.url)
        #expect(dryRun.status == 0)
        #expect(dryRun.stdout.contains("would remove the ledger rows of \(expiring.id)"))
        #expect(try await ledgerRows(site.folder).count == 2)
        let pruned = try Binary.verify("ledger", "prune", "--leeway", "0s", in: site.folder.url)
        #expect(pruned.stdout.contains("removed the ledger rows of \(expiring.id)"))
        #expect(try await ledgerRows(site.folder).map(\.subject) == ["bob"])
        #expect(FileManager.default.fileExists(atPath: site.folder.file("out/i/\(expiring.id)/token").path), "only ledger rows go")
        #expect(try Binary.verify("ledger", "prune", "--leeway", "nope", in: site.folder.url).status == 2)
    }
}
