import Foundation
import Testing
import TesseraTestSupport

/// Issue 14 through the built binaries: `mint --member-for` and `--for '*@DOMAIN'`, `revoke --member`,
/// `check --redeem` with ended and removed memberships and `--no-signup`, `members`, `list` and `ledger prune`.
@Suite(.offThePool) struct AfterTheJoinCommandTests {
    private func page(_ site: MintedSite) throws -> String {
        try site.folder.read("out/i/\(site.id)/index.html")
    }

    private func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    @Test func memberForEndsEachMembershipThatLongAfterItsAcceptance() throws { try memberForBody() }
    private func memberForBody() throws {
        let site = try MintedSite("--project", "lab", "--role", "viewer", "--member-for", "7d")
        #expect(try page(site).contains("ends 7 days after you join"))
        let now = Date()
        let first = try Binary.verify("check", "--redeem", "--json", "--subject", "alice@example.org", "--at", iso(now), site.token, in: site.folder.url)
        #expect(first.status == 0, "\(first.stderr)")
        let object = try #require(first.json)
        #expect(object["member_until"] as? String == iso(now.addingTimeInterval(7 * 86_400)))
        #expect(object["accepted"] as? String == iso(now))
        // A day before the end: still a member; at the end: refused, exit 17, reason membership_ended.
        let before = try Binary.verify("check", "--redeem", "--json", "--subject", "alice@example.org", "--at", iso(now.addingTimeInterval(6 * 86_400)), site.token, in: site.folder.url)
        #expect(before.status == 0)
        let after = try Binary.verify("check", "--redeem", "--json", "--subject", "alice@example.org", "--at", iso(now.addingTimeInterval(7 * 86_400 + 1)), site.token, in: site.folder.url)
        #expect(after.status == 17)
        #expect(after.json?["reason"] as? String == "membership_ended")
        // Someone accepting on day 6 has a week from then.
        let late = try Binary.verify("check", "--redeem", "--json", "--subject", "bob@example.org", "--at", iso(now.addingTimeInterval(6 * 86_400)), site.token, in: site.folder.url)
        #expect(late.json?["member_until"] as? String == iso(now.addingTimeInterval(13 * 86_400)))
        let members = try Binary.verify("members", "--json", in: site.folder.url)
        let rows = members.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(rows.map { $0["member_until"] as? String } == [iso(now.addingTimeInterval(7 * 86_400)), iso(now.addingTimeInterval(13 * 86_400))])
        #expect(rows.allSatisfy { $0["status"] as? String == "active" })
    }

    @Test func defaultMemberForAppliesAndAMalformedSpanIsRefused() throws {
        let folder = try TemporaryFolder()
        try folder.write("tessera.toml", "default_member_for = \"12h\"\n")
        let minted = try Binary.tessera("mint", "--project", "lab", "--role", "viewer", in: folder.url)
        #expect(minted.status == 0 && minted.stdout.contains("membership lasting 12 hours"))
        let bad = try Binary.tessera("mint", "--project", "lab", "--role", "viewer", "--member-for", "soon", in: folder.url)
        #expect(bad.status == 2 && bad.stderr.contains("--member-for"))
    }

    @Test func endedMembershipsArePrunedAndShownAsEnded() throws { try pruneBody() }
    private func pruneBody() throws {
        let site = try MintedSite("--project", "lab", "--role", "viewer", "--member-for", "1s")
        let open = try Binary.run("tessera", ["mint", "--json", "--project", "lab", "--role", "viewer"], in: site.folder.url)
        let openToken = try #require(open.json?["token"] as? String)
        #expect(try Binary.verify("check", "--redeem", "--subject", "alice@example.org", site.token, in: site.folder.url).status == 0)
        #expect(try Binary.verify("check", "--redeem", "--subject", "carol@example.org", openToken, in: site.folder.url).status == 0)
        Thread.sleep(forTimeInterval: 2.2)
        let members = try Binary.verify("members", in: site.folder.url)
        #expect(members.lines.contains { $0.contains("alice@example.org") && $0.hasSuffix("ended") })
        #expect(members.lines.contains { $0.contains("carol@example.org") && $0.hasSuffix("active") })
        let list = try Binary.tessera("list", in: site.folder.url)
        #expect(list.stdout.contains("1/∞ (1 ended)"))
        let dry = try Binary.verify("ledger", "prune", "--dry-run", "--leeway", "0s", "--keep-events", "1s", in: site.folder.url)
        #expect(dry.stdout.contains("would remove the ended membership of alice@example.org"))
        #expect(dry.stdout.contains("would remove 2 membership events of joins before"), "\(dry.stdout)")
        let pruned = try Binary.verify("ledger", "prune", "--leeway", "0s", "--keep-events", "1s", in: site.folder.url)
        #expect(pruned.status == 0 && pruned.stdout.contains("pruned 1 membership that ended"))
        // No --on-join destination ever read this ledger's events, so nothing holds them back.
        #expect(pruned.stdout.contains("removed 2 membership events of joins before"), "\(pruned.stdout)")
        #expect(!pruned.stdout.contains("kept"), "\(pruned.stdout)")
        let again = try Binary.verify("ledger", "prune", "--leeway", "0s", "--keep-events", "1s", in: site.folder.url)
        #expect(!again.stdout.contains("membership event"), "\(again.stdout)")
        // A span that is not one is an error, with or without a ledger, and removes nothing.
        for folder in [site.folder, try TemporaryFolder()] {
            let bad = try Binary.verify("ledger", "prune", "--keep-events", "a week", in: folder.url)
            #expect(bad.status == 2 && bad.stderr.contains("--keep-events"), "\(bad.stderr)")
        }
        #expect(try Binary.verify("members", "--json", in: site.folder.url).stdout.contains("carol@example.org"))
        let after = try Binary.verify("members", "--json", in: site.folder.url)
        #expect(!after.stdout.contains("alice@example.org") && after.stdout.contains("carol@example.org"))
    }

    @Test func revokeMemberRemovesOneSubjectAndSparesTheRest() throws { try removeBody() }
    private func removeBody() throws {
        let site = try MintedSite("--project", "lab", "--role", "viewer", "--uses", "5")
        for subject in ["github:1#a", "bob@example.org"] {
            #expect(try Binary.verify("check", "--redeem", "--subject", subject, site.token, in: site.folder.url).status == 0)
        }
        let revoked = try Binary.tessera("revoke", "--member", "lab", "github:1#a", "--reason", "left the team", in: site.folder.url)
        #expect(revoked.status == 0, "\(revoked.stderr)")
        #expect(revoked.stdout.contains("removed member github:1#a of project lab"))
        #expect(try site.folder.read("revoked.txt").contains("member:lab:github:1%23a  # revoked "))
        let again = try Binary.tessera("revoke", "--member", "lab", "github:1#a", in: site.folder.url)
        #expect(again.stdout.contains("already revoked"))
        let refused = try Binary.verify("check", "--redeem", "--json", "--subject", "github:1#a", site.token, in: site.folder.url)
        #expect(refused.status == 18)
        #expect(refused.json?["reason"] as? String == "member_removed")
        #expect(try Binary.verify("check", "--redeem", "--subject", "bob@example.org", site.token, in: site.folder.url).status == 0)
        // A plain check for that subject (no ledger) refuses too: an outside review found it exited 0.
        let plain = try Binary.verify("check", "--json", "--subject", "github:1#a", site.token, in: site.folder.url)
        #expect(plain.status == 18)
        #expect(plain.json?["reason"] as? String == "member_removed")
        #expect(try Binary.verify("check", "--subject", "bob@example.org", site.token, in: site.folder.url).status == 0)
        let members = try Binary.verify("members", in: site.folder.url)
        #expect(members.lines.contains { $0.contains("github:1#a") && $0.hasSuffix("removed") })
        #expect(members.lines.contains { $0.contains("bob@example.org") && $0.hasSuffix("active") })
        #expect(try Binary.tessera("list", in: site.folder.url).stdout.contains("2/5 (1 removed)"))
        // The entry is signed into the published list, and a verifier reading only that list refuses the member too.
        #expect(try Binary.tessera("build", in: site.folder.url).status == 0)
        let published = site.folder.file("out/.well-known/tessera/revoked.paseto").path
        let remote = try Binary.verify("check", "--redeem", "--json", "--revoked", published, "--subject", "github:1#a", site.token, in: site.folder.url)
        #expect(remote.status == 18)
        let usage = try Binary.tessera("revoke", "--member", "lab", in: site.folder.url)
        #expect(usage.status == 2 && usage.stderr.contains("--member: takes exactly two values"))
    }

    @Test func aDomainInvitationAdmitsItsDomainOnly() throws { try domainBody() }
    private func domainBody() throws {
        let site = try MintedSite("--project", "lab", "--role", "viewer", "--for", "*@Example.org", "--uses", "2")
        #expect(try page(site).contains("anyone with an example.org address"))
        for hostile in ["alice@example.org.evil.com", "alice@evil.com@example.org", "@example.org", "alice@exampl\u{0435}.org", "alice\u{FF20}example.org"] {
            let result = try Binary.verify("check", "--redeem", "--json", "--subject", hostile, site.token, in: site.folder.url)
            #expect(result.status == 14, "\(hostile)")
        }
        #expect(try Binary.verify("check", "--redeem", "--subject", "alice@EXAMPLE.org", site.token, in: site.folder.url).status == 0)
        #expect(try Binary.verify("check", "--redeem", "--subject", "bob@example.org", site.token, in: site.folder.url).status == 0)
        #expect(try Binary.verify("check", "--redeem", "--subject", "carol@example.org", site.token, in: site.folder.url).status == 15)
        let sub = try MintedSite("--project", "lab", "--role", "viewer", "--for", "*@*.example.org")
        #expect(try page(sub).contains("anyone signed in with an address at a subdomain of example.org"))
        #expect(try Binary.verify("check", "--redeem", "--subject", "a@dev.example.org", sub.token, in: sub.folder.url).status == 0)
        #expect(try Binary.verify("check", "--redeem", "--subject", "a@example.org", sub.token, in: sub.folder.url).status == 14)
        for bad in ["*@org", "*@exampl\u{0435}.org", "*@example.org.", "*@"] {
            let result = try Binary.tessera("mint", "--project", "lab", "--role", "viewer", "--for", bad, in: site.folder.url)
            #expect(result.status == 2 && result.stderr.contains("--for"), "\(bad)")
        }
    }

    @Test func withSignupOffAUidInvitationNeverCreatesAnAccount() throws {
        let site = try MintedSite("--project", "lab", "--role", "viewer", "--uid", "u-42")
        let refused = try Binary.verify("check", "--redeem", "--json", "--no-signup", site.token, in: site.folder.url)
        #expect(refused.status == 14)
        #expect((refused.json?["detail"] as? String)?.contains("self-signup is off") == true)
        try site.folder.write("tessera.toml", "signup = false\n")
        #expect(try Binary.verify("check", "--redeem", site.token, in: site.folder.url).status == 14)
        let existing = try Binary.verify("check", "--redeem", "--json", "--subject", "u-42", site.token, in: site.folder.url)
        #expect(existing.status == 0 && existing.json?["subject"] as? String == "u-42")
        // On by default: another site's signup creates the account.
        let open = try MintedSite("--project", "lab", "--role", "viewer", "--uid", "u-43")
        #expect(try Binary.verify("check", "--redeem", open.token, in: open.folder.url).status == 0)
    }
}
