import Foundation
import Testing
import TesseraMint
@testable import TesseraCore
import TesseraTestSupport

private let now = Timestamp(seconds: 1_790_000_000)

/// Issue 14 in the core: memberships that end, members removed by a list entry, invitations for an
/// email domain, and self-signup as the server's choice; every rule on every ledger backend.
@Suite(.offThePool) struct AfterTheJoinTests {
    let key = SigningKey()

    private func token(_ invitation: Invitation) throws -> VerifiedToken {
        try Verifier(keyring: Keyring([key.publicKey])).verifySignature(Array(Minter(key: key).mint(invitation).utf8))
    }

    private func invitation(project: String = "lab", uid: String? = nil, uses: Int? = nil, memberFor: Int64? = nil,
                            domain: EmailDomain? = nil) -> Invitation {
        Invitation(id: Minter.newInvitationID(), project: project, role: "viewer", issuedAt: now.adding(seconds: -60),
                   expiresAt: now.adding(seconds: 30 * 86_400), userID: uid, uses: uses, memberFor: memberFor, domain: domain)
    }

    private func verifier(_ entries: [RevocationList.Entry] = [], signup: Bool = true) -> Verifier {
        var verifier = Verifier(keyring: Keyring([key.publicKey]), revocations: RevocationList(entries))
        verifier.allowsSignup = signup
        return verifier
    }

    private func outcome(_ body: () async throws(Denial) -> Admission.Grant) async -> Result<Admission.Grant, Denial> {
        do {
            return .success(try await body())
        } catch {
            return .failure(error)
        }
    }

    // MARK: memberships that end

    @Test func memberForTravelsInTheTokenAsMfor() throws {
        let minted = invitation(memberFor: 7 * 86_400)
        let read = try token(minted).invitation
        #expect(read.memberFor == Optional(Int64(604_800)))
        #expect(String(decoding: minted.claimsJSON(), as: UTF8.self).contains("\"mfor\":604800"))
        #expect(read.memberUntil(acceptedAt: now) == now.adding(seconds: 604_800))
    }

    @Test(arguments: ["0", "-5", "\"7d\"", "1.5", "3162240001"])
    func aMalformedMforIsRefused(_ value: String) throws {
        let claims = "{\"jti\":\"\(Minter.newInvitationID())\",\"iat\":\"2026-01-01T00:00:00Z\",\"project\":\"p\",\"role\":\"r\",\"mfor\":\(value)}"
        #expect(throws: Invitation.ClaimError.self) { try Invitation(claimsJSON: Array(claims.utf8)) }
    }

    @Test(arguments: LedgerBackend.allCases)
    func aMembershipEndsThatLongAfterTheSubjectAccepted(_ backend: LedgerBackend) async throws {
        let handle = try await backend.make()
        let admission = Admission(verifier: verifier(), ledger: handle.ledger)
        let offer = try token(invitation(memberFor: 3600))
        let request = AccessRequest(subject: "alice")
        let first = try await admission.redeem(offer, at: now, for: request)
        #expect(first.memberUntil == now.adding(seconds: 3600))
        // Bob accepts half an hour later: his membership ends half an hour after Alice's.
        let bob = try await admission.redeem(offer, at: now.adding(seconds: 1800), for: AccessRequest(subject: "bob"))
        #expect(bob.memberUntil == now.adding(seconds: 5400))
        let stored = try await handle.ledger.acceptances(ofInvitation: offer.invitation.id)
        #expect(stored.map(\.memberUntil) == [now.adding(seconds: 3600), now.adding(seconds: 5400)])

        let again = try await admission.redeem(offer, at: now.adding(seconds: 3599), for: request)
        #expect(!again.isFirstUse && again.memberUntil == now.adding(seconds: 3600))
        switch await outcome({ () async throws(Denial) in try await admission.redeem(offer, at: now.adding(seconds: 3600), for: request) }) {
        case .success: Issue.record("an ended membership was granted")
        case .failure(let denial):
            #expect(denial.reason == .membershipEnded)
            #expect(denial.reason.httpStatus == 403)
            #expect(denial.detail.contains("ended at"))
        }
        // Bob's membership has not ended yet.
        _ = try await admission.redeem(offer, at: now.adding(seconds: 3600), for: AccessRequest(subject: "bob"))
    }

    @Test(arguments: LedgerBackend.allCases)
    func pruneRemovesEndedMembershipsAndKeepsTheOthers(_ backend: LedgerBackend) async throws {
        let handle = try await backend.make()
        let admission = Admission(verifier: verifier(), ledger: handle.ledger)
        let short = try token(invitation(memberFor: 60))
        let open = try token(invitation())
        _ = try await admission.redeem(short, at: now, for: AccessRequest(subject: "alice"))
        _ = try await admission.redeem(short, at: now.adding(seconds: 600), for: AccessRequest(subject: "bob"))
        _ = try await admission.redeem(open, at: now, for: AccessRequest(subject: "carol"))
        let cutoff = now.adding(seconds: 120)
        let listed = try await handle.ledger.pruneEndedMemberships(before: cutoff, dryRun: true)
        #expect(listed.map(\.subject) == ["alice"])
        #expect(try await handle.ledger.acceptances(project: nil).count == 3)
        let removed = try await handle.ledger.pruneEndedMemberships(before: cutoff, dryRun: false)
        #expect(removed.map(\.subject) == ["alice"])
        #expect(try await handle.ledger.acceptances(project: nil).map(\.subject).sorted() == ["bob", "carol"])
    }

    /// `ledger prune` keeps the event feed small: events of joins before the cutoff go once every sink that
    /// ever acknowledged anything has them; the rest stay, however old (an `--on-join` receiver that is
    /// down must not lose them). Without any sink, old events simply go.
    @Test(arguments: LedgerBackend.allCases)
    func pruneRemovesOnlyOldEventsThatEverySinkAcknowledged(_ backend: LedgerBackend) async throws {
        let handle = try await backend.make()
        let feed = try #require(handle.ledger as? any MembershipFeed)
        let admission = Admission(verifier: verifier(), ledger: handle.ledger)
        // Issued a month ago, so that joins ten days ago are in its lifetime.
        let offer = try token(Invitation(id: Minter.newInvitationID(), project: "lab", role: "viewer",
                                         issuedAt: now.adding(seconds: -30 * 86_400), expiresAt: now.adding(seconds: 30 * 86_400)))
        for (subject, daysAgo) in [("ann", 10), ("bob", 9), ("cy", 0)] {
            _ = try await admission.redeem(offer, at: now.adding(seconds: -Int64(daysAgo) * 86_400), for: AccessRequest(subject: subject))
        }
        let ids = try await TestPostgres.events(of: feed, atLeast: 3).map(\.id)
        #expect(ids.count == 3)
        try await feed.markDelivered("https://a.example/hook", through: ids[0])
        try await feed.markDelivered("https://b.example/hook", through: ids[1])
        let cutoff = now.adding(seconds: -2 * 86_400)

        // Sink a, behind, is named as what holds bob's event back.
        let expected = EventPruning(removed: 1, undelivered: 1, waitingFor: [EventPruning.Mark(sink: "https://a.example/hook", deliveredThrough: ids[0])])
        #expect(try await feed.pruneEvents(acceptedBefore: cutoff, dryRun: true) == expected)
        #expect(try await feed.events(after: 0, limit: 10).count == 3)
        #expect(try await feed.pruneEvents(acceptedBefore: cutoff, dryRun: false) == expected)
        #expect(try await feed.events(after: 0, limit: 10).map(\.acceptance.subject) == ["bob", "cy"])
        // Once the slower sink has bob's event too, it goes; cy's is newer than the cutoff and stays.
        try await feed.markDelivered("https://a.example/hook", through: ids[2])
        #expect(try await feed.pruneEvents(acceptedBefore: cutoff, dryRun: false) == EventPruning(removed: 1, undelivered: 0))
        #expect(try await feed.events(after: 0, limit: 10).map(\.acceptance.subject) == ["cy"])

        // A ledger no sink ever read: old events go, all of them.
        let lone = try await backend.make()
        let loneFeed = try #require(lone.ledger as? any MembershipFeed)
        let loneAdmission = Admission(verifier: verifier(), ledger: lone.ledger)
        _ = try await loneAdmission.redeem(offer, at: now.adding(seconds: -3 * 86_400), for: AccessRequest(subject: "ann"))
        let pruned = try #require(try await TestPostgres.events(of: loneFeed, atLeast: 1).first?.id)
        #expect(try await loneFeed.pruneEvents(acceptedBefore: cutoff, dryRun: false) == EventPruning(removed: 1, undelivered: 0))
        #expect(try await loneFeed.events(after: 0, limit: 10).isEmpty)
        // Ids are never reused, even with the newest event gone: a sink's mark still means "seen".
        _ = try await loneAdmission.redeem(offer, at: now, for: AccessRequest(subject: "bob"))
        #expect(try await TestPostgres.events(of: loneFeed, after: pruned, atLeast: 1).map(\.acceptance.subject) == ["bob"])
    }

    // MARK: removal by a list entry

    @Test func memberEntriesRoundTripWithEscapes() throws {
        let subjects = ["alice@example.org", "github:12345", "a#b c%d", "café", "x:y:z@w", "%41"]
        for subject in subjects {
            let entry = RevocationList.Entry.member(.init(project: "lab", subject: subject))
            let text = entry.description
            #expect(!text.contains("#") && !text.contains(" "), "\(text)")
            #expect(RevocationList.Entry(text) == entry, "\(text)")
            let list = try RevocationList(parsing: Array("# x\n\(text)  # removed\n".utf8))
            #expect(list.entry(removing: subject, from: "lab") == entry)
            #expect(list.entry(removing: subject, from: "other") == nil)
        }
        #expect(RevocationList.Entry("member:lab:github%3a1") == .member(.init(project: "lab", subject: "github:1")))
    }

    /// An outside review: `member:lab:eve@example.org` removed eve, and `EVE@example.org` got back in through a
    /// `*@example.org` invitation (the domain matches in any case). A removal now also matches in any ASCII case; granting
    /// still compares subjects byte for byte.
    @Test func aRemovalCatchesTheSubjectInAnyASCIICase() throws {
        let list = try RevocationList(parsing: Array("member:lab:eve@example.org\nmember:lab:Eve@example.org\n".utf8))
        let entry = RevocationList.Entry.member(.init(project: "lab", subject: "eve@example.org"))
        #expect(list.entry(removing: "eve@example.org", from: "lab") == entry)
        #expect(list.entry(removing: "Eve@example.org", from: "lab") == .member(.init(project: "lab", subject: "Eve@example.org")))
        #expect(list.entry(removing: "EVE@example.org", from: "lab") == .member(.init(project: "lab", subject: "Eve@example.org")))
        #expect(list.entry(removing: "eve@EXAMPLE.org", from: "lab") != nil)
        #expect(list.entry(removing: "eve@example.org", from: "other") == nil)
        #expect(list.entry(removing: "\u{212A}eve@example.org", from: "lab") == nil)
        #expect(list.entry(removing: "steve@example.org", from: "lab") == nil)
        // The same entries in another order make an equal list.
        #expect(try RevocationList(parsing: Array("member:lab:Eve@example.org\nmember:lab:eve@example.org\n".utf8)) == list)
    }

    @Test(arguments: ["member:lab:", "member:lab", "member::alice", "member:a/b:alice", "member:lab:al%2", "member:lab:al%zz",
                      "member:lab:al\u{0456}ce", "member:lab:a%0Ab", "member:lab:a%FF", "member:lab:a%00"])
    func aMalformedMemberEntryIsAnErrorNamingItsLine(_ line: String) {
        #expect(throws: RevocationList.ParseError(line: 3, message: "\"\(line)\" is not member:PROJECT:SUBJECT (a project name, then the subject with %, #, blanks and non-ASCII bytes written %XX)")) {
            try RevocationList(parsing: Array("# list\nproject:x\n\(line)\n".utf8))
        }
    }

    @Test func aMemberEntryTravelsInTheSignedList() throws {
        let list = RevocationList([.member(.init(project: "lab", subject: "a#b@example.org")), .project("old")])
        let signed = SignedRevocationList(issuedAt: now, list: list)
        let token = Minter(key: key).sign(signed)
        let read = try SignedRevocationList(verifying: Array(token.utf8), keyring: Keyring([key.publicKey]))
        #expect(read.list == list)
        #expect(read.list.entry(removing: "a#b@example.org", from: "lab") != nil)
    }

    @Test(arguments: LedgerBackend.allCases)
    func aRemovedMemberIsRefusedAndTheOthersOfTheSameInvitationAreNot(_ backend: LedgerBackend) async throws {
        let handle = try await backend.make()
        let offer = try token(invitation(uses: 3))
        let before = Admission(verifier: verifier(), ledger: handle.ledger)
        _ = try await before.redeem(offer, at: now, for: AccessRequest(subject: "alice@example.org"))
        _ = try await before.redeem(offer, at: now, for: AccessRequest(subject: "bob@example.org"))
        let after = Admission(verifier: verifier([.member(.init(project: "lab", subject: "alice@example.org"))]), ledger: handle.ledger)
        switch await outcome({ () async throws(Denial) in try await after.redeem(offer, at: now, for: AccessRequest(subject: "alice@example.org")) }) {
        case .success: Issue.record("a removed member was granted")
        case .failure(let denial): #expect(denial.reason == .memberRemoved && denial.detail.contains("member:lab:alice@example.org"))
        }
        // Through another invitation of the same project too.
        let other = try token(invitation())
        switch await outcome({ () async throws(Denial) in try await after.redeem(other, at: now, for: AccessRequest(subject: "alice@example.org")) }) {
        case .success: Issue.record("a removed member joined through another invitation")
        case .failure(let denial): #expect(denial.reason == .memberRemoved)
        }
        #expect(try await handle.ledger.acceptances(ofInvitation: other.invitation.id).isEmpty, "a removed member took a use")
        _ = try await after.redeem(offer, at: now, for: AccessRequest(subject: "bob@example.org"))
        _ = try await after.redeem(offer, at: now, for: AccessRequest(subject: "carol@example.org"))
        // A member of another project with the same subject is not affected.
        _ = try await after.redeem(try token(invitation(project: "lab2")), at: now, for: AccessRequest(subject: "alice@example.org"))
    }

    // MARK: invitations for an email domain

    struct SubjectCase: Sendable, CustomTestStringConvertible {
        let domain: String, subject: String, admitted: Bool, defect: String
        var testDescription: String { defect }

        static func all() throws -> [SubjectCase] {
            let object = try #require(try Vectors.json("email-domain/subjects.json") as? [String: Any])
            return try #require(object["cases"] as? [[String: Any]]).map {
                SubjectCase(domain: $0["domain"] as! String, subject: $0["subject"] as! String, admitted: $0["admitted"] as! Bool, defect: $0["defect"] as! String)
            }
        }
    }

    @Test func domainSubjectsFromTheDataFile() throws {
        let cases = try SubjectCase.all()
        #expect(cases.count >= 20)
        for item in cases {
            let domain = try #require(EmailDomain(item.domain), "\(item.domain)")
            #expect(domain.admits(item.subject) == item.admitted, "\(item.defect): \(item.subject)")
        }
    }

    @Test func domainPatternsFromTheDataFile() throws {
        let object = try #require(try Vectors.json("email-domain/patterns.json") as? [String: Any])
        let cases = try #require(object["cases"] as? [[String: Any]])
        #expect(cases.count >= 10)
        for item in cases {
            let text = item["domain"] as! String
            #expect((EmailDomain(text) != nil) == (item["valid"] as! Bool), "\(item["defect"] as! String): \(text)")
        }
    }

    @Test func aDomainInvitationTravelsAsSubStarAt() throws {
        let minted = invitation(uses: 2, domain: EmailDomain("example.org"))
        #expect(String(decoding: minted.claimsJSON(), as: UTF8.self).contains("\"sub\":\"*@example.org\""))
        let read = try token(minted).invitation
        #expect(read.domain == EmailDomain("example.org") && read.subject == nil && read.effectiveUses == 2)
        // A verifier that predates domain invitations sees a targeted invitation for "*@example.org": nobody signs in as that.
        #expect(read.claims["sub"]?.stringValue == "*@example.org")
    }

    @Test(arguments: LedgerBackend.allCases)
    func aDomainInvitationAdmitsAddressesInTheDomainCountedPerSubject(_ backend: LedgerBackend) async throws {
        let handle = try await backend.make()
        let admission = Admission(verifier: verifier(), ledger: handle.ledger)
        let offer = try token(invitation(uses: 2, domain: EmailDomain("example.org")))
        _ = try await admission.redeem(offer, at: now, for: AccessRequest(subject: "alice@example.org"))
        let again = try await admission.redeem(offer, at: now, for: AccessRequest(subject: "alice@example.org"))
        #expect(again.usesTaken == 1, "the same subject twice took two uses")
        for hostile in ["alice@example.org.evil.com", "alice@evil.com@example.org", "@example.org", "mallory@exampl\u{0435}.org", "mallory\u{FF20}example.org"] {
            switch await outcome({ () async throws(Denial) in try await admission.redeem(offer, at: now, for: AccessRequest(subject: hostile)) }) {
            case .success: Issue.record("\(hostile) was admitted to example.org")
            case .failure(let denial): #expect(denial.reason == .notForSubject, "\(hostile)")
            }
        }
        switch await outcome({ () async throws(Denial) in try await admission.redeem(offer, at: now, for: AccessRequest()) }) {
        case .success: Issue.record("a domain invitation was accepted without signing in")
        case .failure(let denial): #expect(denial.reason == .notForSubject)
        }
        _ = try await admission.redeem(offer, at: now, for: AccessRequest(subject: "Bob@Example.ORG"))
        switch await outcome({ () async throws(Denial) in try await admission.redeem(offer, at: now, for: AccessRequest(subject: "carol@example.org")) }) {
        case .success: Issue.record("a third subject took a use of two")
        case .failure(let denial): #expect(denial.reason == .usedUp)
        }
        #expect(try await handle.ledger.acceptances(ofInvitation: offer.invitation.id).count == 2)
    }

    @Test func aMalformedDomainClaimIsRefused() throws {
        for sub in ["*@", "*@org", "*@exampl\u{0435}.org", "*@example.org.", "*@*"] {
            let claims = "{\"jti\":\"\(Minter.newInvitationID())\",\"iat\":\"2026-01-01T00:00:00Z\",\"project\":\"p\",\"role\":\"r\",\"sub\":\"\(sub)\"}"
            #expect(throws: Invitation.ClaimError.self, "\(sub)") { try Invitation(claimsJSON: Array(claims.utf8)) }
        }
    }

    // MARK: self-signup as the server's choice

    @Test(arguments: LedgerBackend.allCases)
    func withSignupOffAUidInvitationIsOnlyForThatExistingAccount(_ backend: LedgerBackend) async throws {
        let handle = try await backend.make()
        let admission = Admission(verifier: verifier(signup: false), ledger: handle.ledger)
        let offer = try token(invitation(uid: "u-42"))
        switch await outcome({ () async throws(Denial) in try await admission.redeem(offer, at: now, for: AccessRequest()) }) {
        case .success: Issue.record("a signup was granted with signup off")
        case .failure(let denial):
            #expect(denial.reason == .notForSubject)
            #expect(denial.detail.contains("self-signup is off"))
        }
        #expect(try await handle.ledger.acceptances(ofInvitation: offer.invitation.id).isEmpty)
        let grant = try await admission.redeem(offer, at: now, for: AccessRequest(subject: "u-42"))
        #expect(grant.subject == "u-42" && !grant.createdAccount)
        // With signup on (the default) the same invitation creates the account.
        let open = Admission(verifier: verifier(), ledger: handle.ledger)
        let created = try await open.redeem(try token(invitation(uid: "u-43")), at: now, for: AccessRequest())
        #expect(created.createdAccount)
    }
}
