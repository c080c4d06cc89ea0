import Foundation
import Testing
import TesseraMint
@testable import TesseraCore
import TesseraTestSupport

private let now = Timestamp(seconds: 1_790_000_000)

/// Editing `revoked.txt` without disturbing what people wrote.
@Suite(.offThePool) struct RevocationFileTests {
    @Test func anAppendedLineCarriesTheTimeAndAOneLineReason() {
        let entry = RevocationList.Entry.invitation("Qm9vb2JhcmJhemJhenF1eA")
        #expect(RevocationFile.line(for: entry, reason: nil, at: now) == "Qm9vb2JhcmJhemJhenF1eA  # revoked 2026-09-21T14:13:20Z")
        #expect(RevocationFile.line(for: .project("talk"), reason: " leaked\r\non\u{7f} a\tforum \u{85}", at: now)
            == "project:talk  # revoked 2026-09-21T14:13:20Z: leaked on a forum")
        #expect(RevocationFile.line(for: .project("talk"), reason: "\n", at: now) == "project:talk  # revoked 2026-09-21T14:13:20Z")
    }

    @Test func appendingStartsOnANewLine() throws {
        let ended = try RevocationFile(parsing: Array("# list\n".utf8))
        #expect(ended.appendix(["a", "b"]) == Array("a\nb\n".utf8))
        let unended = try RevocationFile(parsing: Array("# list".utf8))
        #expect(unended.appendix(["a"]) == Array("\na\n".utf8))
        #expect(try RevocationFile(parsing: []).appendix(["a"]) == Array("a\n".utf8))
    }

    @Test func entriesAreFoundByLine() throws {
        let file = try RevocationFile(parsing: Array("# head\nQm9vb2JhcmJhemJhenF1eA # why\n\n  project:talk\r\n".utf8))
        #expect(file.line(of: .invitation("Qm9vb2JhcmJhemJhenF1eA")) == 2)
        #expect(file.line(of: .project("talk")) == 4)
        #expect(file.line(of: .project("other")) == nil)
        #expect(throws: RevocationList.ParseError.self) { try RevocationFile(parsing: Array("nonsense\n".utf8)) }
    }

    @Test func removingAnInvitationKeepsEveryOtherByte() throws {
        let text = "# head\nQm9vb2JhcmJhemJhenF1eA   # leaked\n# Qm9vb2JhcmJhemJhenF1eA in a comment\nproject:talk\r\nAAAAAAAAAAAAAAAAAAAAAA\n\n"
        let file = try RevocationFile(parsing: Array(text.utf8))
        let (kept, removed) = file.removingInvitations(["Qm9vb2JhcmJhemJhenF1eA"])
        #expect(String(decoding: kept, as: UTF8.self) == "# head\n# Qm9vb2JhcmJhemJhenF1eA in a comment\nproject:talk\r\nAAAAAAAAAAAAAAAAAAAAAA\n\n")
        #expect(removed.map(\.line) == [2])
        #expect(file.removingInvitations(["talk"]).removed.isEmpty, "a project entry is not an invitation id")
        #expect(file.removingInvitations([]).text == Array(text.utf8))
    }
}

/// Reading a site's invitations and planning what pruning removes.
@Suite(.offThePool) struct InvitationCatalogTests {
    let key = SigningKey()

    private func site(_ invitations: [Invitation], folder: String) throws -> SiteFolder {
        let site = SiteFolder(root: folder)
        let minter = Minter(key: key)
        try FileSystem.makeDirectory(FileSystem.join(site.out, "i"))
        try FileSystem.writeAtomically(FileSystem.join(site.out, "i/index.html"), contents: [])
        for invitation in invitations {
            try FileSystem.makeDirectory(site.invitationFolder(invitation.id))
            try FileSystem.writeAtomically(FileSystem.join(site.invitationFolder(invitation.id), "token"), contents: Array((minter.mint(invitation) + "\n").utf8))
        }
        return site
    }

    private func invitation(_ id: String, issued: Int64, expires: Int64?, project: String = "lab", uses: Int? = nil) -> Invitation {
        Invitation(id: id, project: project, role: "viewer", issuedAt: now.adding(seconds: issued), expiresAt: expires.map { now.adding(seconds: $0) }, uses: uses)
    }

    @Test func statusesFollowRevokedExpiredAcceptedPending() throws {
        let folder = try TemporaryFolder()
        let ids = (0..<5).map { _ in Minter.newInvitationID() }
        let site = try site([
            invitation(ids[0], issued: -50, expires: 3600, uses: 3),
            invitation(ids[1], issued: -40, expires: -10),
            invitation(ids[2], issued: -30, expires: -10),
            invitation(ids[3], issued: -20, expires: nil, project: "paused"),
            invitation(ids[4], issued: -60, expires: 3600),
        ], folder: folder.path)
        // A token file whose id does not match its folder is not trusted.
        try FileSystem.makeDirectory(site.invitationFolder("AAAAAAAAAAAAAAAAAAAAAA"))
        try FileSystem.writeAtomically(FileSystem.join(site.invitationFolder("AAAAAAAAAAAAAAAAAAAAAA"), "token"),
                                       contents: try FileSystem.read(FileSystem.join(site.invitationFolder(ids[0]), "token")))

        let catalog = try InvitationCatalog.load(site, keyring: Keyring([key.publicKey]))
        #expect(catalog.items.map(\.id) == [ids[4], ids[0], ids[1], ids[2], ids[3], "AAAAAAAAAAAAAAAAAAAAAA"], "oldest first, untrusted last")
        let revocations = RevocationList([.invitation(ids[2]), .project("paused")])
        let acceptances = [ids[0], ids[0], ids[1]].map {
            Acceptance(invitationID: $0, subject: UUID().uuidString, project: "lab", role: "viewer", acceptedAt: now, expiresAt: nil)
        }
        let statuses = catalog.summaries(revocations: revocations, acceptances: acceptances, at: now).map { ($0.item.id, $0.status, $0.accepted) }
        #expect(statuses.map(\.1) == [.pending, .accepted, .expired, .revoked, .revoked, .invalid])
        #expect(statuses[1].2 == 2)

        let untrusted = try InvitationCatalog.load(site, keyring: Keyring([SigningKey().publicKey]))
        #expect(untrusted.items.allSatisfy { $0.token == nil && $0.problem != nil })
    }

    @Test func pruningRemovesOnlyWhatExpiredBeforeTheCutoff() async throws {
        let folder = try TemporaryFolder()
        let live = invitation(Minter.newInvitationID(), issued: -100, expires: 3600)
        let expired = invitation(Minter.newInvitationID(), issued: -100, expires: -120)
        let justExpired = invitation(Minter.newInvitationID(), issued: -100, expires: -30)
        let site = try site([live, expired, justExpired], folder: folder.path)
        let elsewhere = "Qm9vb2JhcmJhemJhenF1eA"
        let listText = "# mine\n\(expired.id)  # gone\n\(elsewhere)\n\(live.id)\n\(justExpired.id)\n"
        try FileSystem.writeAtomically(site.revocationList, contents: Array(listText.utf8))
        let ledger = InMemoryLedger()
        for (id, exp) in [(expired.id, expired.expiresAt), (elsewhere, now.adding(seconds: -500)), (live.id, live.expiresAt)] {
            _ = try await ledger.redeem(RedemptionRequest(acceptance: Acceptance(invitationID: id, subject: "ann", project: "lab", role: "viewer",
                                                                                  acceptedAt: now.adding(seconds: -1000), expiresAt: exp), maximumUses: nil))
        }
        let cutoff = now.adding(seconds: -60)
        let catalog = try InvitationCatalog.load(site, keyring: Keyring([key.publicKey]))
        let file = try RevocationFile(parsing: try FileSystem.read(site.revocationList))
        let plan = PrunePlan(cutoff: cutoff, catalog: catalog, revocations: file,
                             ledgerExpired: try await ledger.prune(expiredBefore: cutoff, dryRun: true))
        #expect(plan.invitations.map(\.id) == [expired.id])
        #expect(plan.ledgerInvitations.sorted() == [expired.id, elsewhere].sorted())
        #expect(plan.revocationLines.map(\.id) == [expired.id, elsewhere], "the ledger vouches for the expiry of an id minted elsewhere")

        try await plan.apply(to: site, ledger: ledger)
        #expect(String(decoding: try FileSystem.read(site.revocationList), as: UTF8.self) == "# mine\n\(live.id)\n\(justExpired.id)\n")
        #expect(!FileSystem.exists(site.invitationFolder(expired.id)))
        #expect(FileSystem.exists(site.invitationFolder(justExpired.id)))
        #expect(try await ledger.acceptances(project: nil).map(\.invitationID) == [live.id])
    }
}
