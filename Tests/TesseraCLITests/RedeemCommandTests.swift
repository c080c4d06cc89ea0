import Foundation
import GRDB
import Testing
import TesseraCore
import TesseraSQLite
import TesseraTestSupport

/// Mints one more invitation in a site folder and returns its id and token.
func mintInvitation(in folder: TemporaryFolder, _ arguments: String...) throws -> (id: String, token: String) {
    let result = try Binary.run("tessera", ["mint", "--json"] + arguments, in: folder.url)
    #expect(result.status == 0, "mint failed: \(result.stderr)")
    let object = try #require(result.json)
    return (try #require(object["id"] as? String), try #require(object["token"] as? String))
}

/// The rows of a site's ledger, read directly from the file.
func ledgerRows(_ folder: TemporaryFolder, path: String = "state/ledger.sqlite") async throws -> [Acceptance] {
    try await SQLiteLedger(path: folder.file(path).path).acceptances(project: nil)
}

/// `tessera-verify check --redeem`: the rules of DESIGN §7 on the built binary.
@Suite(.offThePool) struct RedeemCommandTests {
    @Test func usesLimitDistinctSubjectsAndTheSameSubjectAgainIsFree() throws { try usesLimitDistinctSubjectsAndTheSameSubjectAgainIsFreeBody() }
    private func usesLimitDistinctSubjectsAndTheSameSubjectAgainIsFreeBody() throws {
        let site = try MintedSite("--project", "lab", "--role", "viewer", "--uses", "2")
        let first = try Binary.verify("check", "--redeem", "--json", "--subject", "ann", site.token, in: site.folder.url)
        #expect(first.status == 0, "\(first.stderr)")
        let json = try #require(first.json)
        #expect(json["granted"] as? Bool == true)
        #expect(json["subject"] as? String == "ann")
        #expect(json["invitation"] as? String == site.id)
        #expect(json["first_use"] as? Bool == true)
        #expect(json["uses_taken"] as? Int == 1)
        #expect(json["uses"] as? Int == 2)
        #expect(json["anonymous"] as? Bool == false)

        let second = try Binary.verify("check", "--redeem", "--subject", "bob", site.token, in: site.folder.url)
        #expect(second.status == 0)
        #expect(second.stdout.hasPrefix("granted: invitation \(site.id) grants role viewer in project lab to bob"), "\(second.stdout)")
        #expect(second.stdout.contains("2 of 2 uses taken"))

        let third = try Binary.verify("check", "--redeem", "--json", "--subject", "cy", site.token, in: site.folder.url)
        #expect(third.status == 15)
        #expect(third.json?["reason"] as? String == "used_up")
        #expect((third.json?["detail"] as? String)?.contains("all 2 uses are taken") == true)

        let again = try Binary.verify("check", "--redeem", "--json", "--subject", "ann", site.token, in: site.folder.url)
        #expect(again.status == 0, "the same subject again is granted even with no use left")
        #expect(again.json?["first_use"] as? Bool == false)
        #expect(again.json?["uses_taken"] as? Int == 2)
        let plain = try Binary.verify("check", "--redeem", "--subject", "ann", site.token, in: site.folder.url)
        #expect(plain.stdout.contains("again, no use consumed"))
    }

    @Test func withoutUsesAnyNumberOfSubjectsAccepts() throws { try withoutUsesAnyNumberOfSubjectsAcceptsBody() }
    private func withoutUsesAnyNumberOfSubjectsAcceptsBody() throws {
        let site = try MintedSite("--project", "talk", "--role", "viewer")
        for index in 0..<5 {
            let result = try Binary.verify("check", "--redeem", "--json", "--subject", "s\(index)", site.token, in: site.folder.url)
            #expect(result.status == 0)
            #expect(result.json?["uses_taken"] as? Int == index + 1)
            #expect(result.json?["uses"] is NSNull)
        }
    }

    @Test func aTargetedInvitationIsOnlyForItsSubject() throws { try aTargetedInvitationIsOnlyForItsSubjectBody() }
    private func aTargetedInvitationIsOnlyForItsSubjectBody() throws {
        let site = try MintedSite("--project", "lab", "--role", "result-input", "--for", "alice@example.org")
        let anonymous = try Binary.verify("check", "--redeem", "--json", site.token, in: site.folder.url)
        #expect(anonymous.status == 14)
        #expect((anonymous.json?["detail"] as? String)?.contains("sign in as alice@example.org") == true)
        let other = try Binary.verify("check", "--redeem", "--subject", "bob@example.org", site.token, in: site.folder.url)
        #expect(other.status == 14)
        #expect(other.stderr.contains("sign in as alice@example.org"))
        let right = try Binary.verify("check", "--redeem", "--json", "--subject", "alice@example.org", site.token, in: site.folder.url)
        #expect(right.status == 0)
        #expect(right.json?["uses"] as? Int == 1)
        let back = try Binary.verify("check", "--redeem", "--json", "--subject", "alice@example.org", site.token, in: site.folder.url)
        #expect(back.status == 0)
        #expect(back.json?["first_use"] as? Bool == false)
    }

    @Test func aSignupCreatesItsAccountOnceAndNeverTwice() async throws {
        let site = try MintedSite("--project", "lab", "--role", "viewer", "--uid", "u-1042")
        let signup = try Binary.verify("check", "--redeem", "--json", site.token, in: site.folder.url)
        #expect(signup.status == 0, "\(signup.stderr)")
        #expect(signup.json?["subject"] as? String == "u-1042")
        #expect(signup.json?["first_use"] as? Bool == true)

        let second = try Binary.verify("check", "--redeem", site.token, in: site.folder.url)
        #expect(second.status == 15)
        #expect(second.stderr.contains("already created the account u-1042"), "\(second.stderr)")
        #expect(second.stderr.contains("sign in as u-1042"))

        let signIn = try Binary.verify("check", "--redeem", "--json", "--subject", "u-1042", site.token, in: site.folder.url)
        #expect(signIn.status == 0)
        #expect(signIn.json?["first_use"] as? Bool == false)
        let someoneElse = try Binary.verify("check", "--redeem", "--subject", "mallory", site.token, in: site.folder.url)
        #expect(someoneElse.status == 14)
        #expect(try await ledgerRows(site.folder).map(\.subject) == ["u-1042"], "never a duplicate account")
    }

    @Test func anAnonymousInvitationMakesUpASubjectAndCountsIt() async throws {
        let site = try MintedSite("--project", "talk", "--role", "viewer", "--anonymous", "--uses", "2")
        let first = try Binary.verify("check", "--redeem", "--json", site.token, in: site.folder.url)
        #expect(first.status == 0)
        let subject = try #require(first.json?["subject"] as? String)
        #expect(subject.hasPrefix("anon-"))
        #expect(first.json?["anonymous"] as? Bool == true)
        let second = try Binary.verify("check", "--redeem", "--json", site.token, in: site.folder.url)
        #expect(second.status == 0)
        #expect(second.json?["subject"] as? String != subject)
        #expect(second.json?["uses_taken"] as? Int == 2)
        let third = try Binary.verify("check", "--redeem", "--json", site.token, in: site.folder.url)
        #expect(third.status == 15)
        let named = try Binary.verify("check", "--redeem", "--json", "--subject", subject, site.token, in: site.folder.url)
        #expect(named.status == 0, "the made-up subject presented again is the same person")
        #expect(named.json?["anonymous"] as? Bool == false)
        #expect(try await ledgerRows(site.folder).count == 2)

        let signedInOnly = try mintInvitation(in: site.folder, "--project", "talk", "--role", "viewer")
        let nobody = try Binary.verify("check", "--redeem", "--json", signedInOnly.token, in: site.folder.url)
        #expect(nobody.status == 14)
        #expect((nobody.json?["detail"] as? String)?.contains("sign in") == true)
    }

    @Test func revokedAndExpiredInvitationsNeverReachTheLedger() async throws {
        let site = try MintedSite("--project", "lab", "--role", "viewer", "--expires", "1h")
        let revoked = try mintInvitation(in: site.folder, "--project", "lab", "--role", "viewer")
        try site.folder.write("revoked.txt", "\(revoked.id)\n")
        let later = ISO8601DateFormatter().string(from: Date().addingTimeInterval(2 * 3600))

        let refusedRevoked = try Binary.verify("check", "--redeem", "--subject", "ann", revoked.token, in: site.folder.url)
        #expect(refusedRevoked.status == 13)
        let refusedExpired = try Binary.verify("check", "--redeem", "--at", later, "--subject", "ann", site.token, in: site.folder.url)
        #expect(refusedExpired.status == 12)
        #expect(!FileManager.default.fileExists(atPath: site.folder.file("state/ledger.sqlite").path), "no ledger was even opened")

        let plainCheck = try Binary.verify("check", "--subject", "ann", site.token, in: site.folder.url)
        #expect(plainCheck.status == 0)
        #expect(!FileManager.default.fileExists(atPath: site.folder.file("state").path), "without --redeem nothing touches the ledger")

        let granted = try Binary.verify("check", "--redeem", "--subject", "ann", site.token, in: site.folder.url)
        #expect(granted.status == 0)
        #expect(try site.folder.mode("state") == 0o700)
        #expect(try Binary.verify("check", "--redeem", "--subject", "bob", revoked.token, in: site.folder.url).status == 13)
        #expect(try await ledgerRows(site.folder).map(\.subject) == ["ann"])
    }

    @Test func exit16WhenTheLedgerCannotBeOpened() throws { try exit16WhenTheLedgerCannotBeOpenedBody() }
    private func exit16WhenTheLedgerCannotBeOpenedBody() throws {
        let site = try MintedSite("--project", "lab", "--role", "viewer")
        let nowhere = try Binary.verify("check", "--redeem", "--json", "--ledger", "sqlite:/proc/nope/x.sqlite", "--subject", "ann", site.token, in: site.folder.url)
        #expect(nowhere.status == 16)
        #expect(nowhere.json?["granted"] as? Bool == false)
        #expect(nowhere.json?["reason"] as? String == "ledger_unavailable")

        try FileManager.default.createDirectory(at: site.folder.file("state/ledger.sqlite"), withIntermediateDirectories: true)
        let folderInTheWay = try Binary.verify("check", "--redeem", "--subject", "ann", site.token, in: site.folder.url)
        #expect(folderInTheWay.status == 16)
        #expect(folderInTheWay.stderr.contains("denied (ledger_unavailable)"))
        #expect(folderInTheWay.stderr.contains("nothing was granted"))

        try site.folder.write("garbage.sqlite", String(repeating: "not a database ", count: 600))
        let garbage = try Binary.verify("check", "--redeem", "--ledger", "sqlite:garbage.sqlite", "--subject", "ann", site.token, in: site.folder.url)
        #expect(garbage.status == 16)

        let postgres = try Binary.verify("check", "--redeem", "--ledger", "postgres://localhost/tessera", "--subject", "ann", site.token, in: site.folder.url)
        #expect(postgres.status == 16)

        let malformed = try Binary.verify("check", "--redeem", "--ledger", "ledger.db", "--subject", "ann", site.token, in: site.folder.url)
        #expect(malformed.status == 2)
        #expect(malformed.stderr.contains("--ledger"))
        #expect(malformed.stderr.contains("tessera: hint: "))

        let validOnly = try Binary.verify("check", "--ledger", "sqlite:/proc/nope/x.sqlite", site.token, in: site.folder.url)
        #expect(validOnly.status == 0, "without --redeem the ledger is not opened")
    }

    @Test func exit16WhenTheLedgerCannotBeWrittenAndNothingIsGranted() async throws {
        let site = try MintedSite("--project", "lab", "--role", "viewer")
        #expect(try Binary.verify("check", "--redeem", "--subject", "ann", site.token, in: site.folder.url).status == 0)
        // The insert fails inside the transaction, as a full disk would make it.
        try await DatabaseQueue(path: site.folder.file("state/ledger.sqlite").path).write { db in
            try db.execute(sql: "CREATE TRIGGER fail BEFORE INSERT ON acceptance BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        }
        let failed = try Binary.verify("check", "--redeem", "--json", "--subject", "bob", site.token, in: site.folder.url)
        #expect(failed.status == 16)
        #expect(failed.json?["reason"] as? String == "ledger_unavailable")
        #expect((failed.json?["detail"] as? String)?.contains("disk full") == true)
        #expect(try await ledgerRows(site.folder).map(\.subject) == ["ann"])
    }

    @Test func anExplicitSQLiteLedgerIsUsedInsteadOfTheSites() async throws {
        let site = try MintedSite("--project", "lab", "--role", "viewer", "--uses", "1")
        let path = site.folder.file("elsewhere/shared.sqlite").path
        #expect(try Binary.verify("check", "--redeem", "--ledger", "sqlite:" + path, "--subject", "ann", site.token, in: site.folder.url).status == 0)
        #expect(try Binary.verify("check", "--redeem", "--ledger", "sqlite:" + path, "--subject", "bob", site.token, in: site.folder.url).status == 15)
        #expect(try Binary.verify("check", "--redeem", "--subject", "bob", site.token, in: site.folder.url).status == 0, "the site's own ledger is another ledger")
        #expect(try await SQLiteLedger(path: path).acceptances(project: nil).map(\.subject) == ["ann"])
    }
}
