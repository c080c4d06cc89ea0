import ArgumentParser
import TesseraCLI
import TesseraCore

struct ListInvitations: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the invitations minted in this site with their status.",
        discussion: """
        Status is one of pending, accepted (n of its uses), expired, revoked, or invalid for a \
        token file that does not verify with the site's keys. It is read from out/i/, \
        revoked.txt and the local ledger (state/ledger.sqlite, if it exists), oldest first.
        """
    )

    @OptionGroup var siteOptions: SiteOptions

    @Option(name: .long, help: ArgumentHelp("Only invitations for this project.", valueName: "project"))
    var project: String?

    @Flag(name: .long, help: "Print one JSON object per invitation (id, project, role, status, uses, accepted, expires, for, uid, label).")
    var json = false

    func run() async throws {
        if let project { _ = try OptionValue.name(project, flag: "--project") }
        let site = siteOptions.folder
        let catalog = try siteOptions.catalog()
        let revocations = try siteOptions.revocationFile()?.list ?? RevocationList()
        var acceptances: [Acceptance] = []
        if let ledger = try await LedgerOptions.openExisting(.default(for: site)) {
            do {
                acceptances = try await ledger.acceptances(project: project)
            } catch {
                throw LedgerOptions.failure(error)
            }
        }
        let summaries = catalog.summaries(revocations: revocations, acceptances: acceptances, at: .now)
            .filter { project == nil || $0.item.invitation?.project == project }
        if json {
            for summary in summaries { Terminal.line(String(decoding: Self.object(summary).serialized(), as: UTF8.self)) }
            return
        }
        if summaries.isEmpty {
            Terminal.note("\(Terminal.prefix): no invitations\(project.map { " for project \($0)" } ?? "") in \(site.out)/i")
            return
        }
        var table = TextTable(["ID", "PROJECT", "ROLE", "FOR", "STATUS", "ACCEPTED", "EXPIRES"])
        for summary in summaries {
            guard let invitation = summary.item.invitation else {
                table.append([summary.item.id, "-", "-", "-", "invalid", "-", "-"])
                continue
            }
            let accepted = "\(summary.accepted)/" + (invitation.effectiveUses.map(String.init) ?? "∞")
            table.append([invitation.id, invitation.project, invitation.role, Self.audience(invitation), summary.status.rawValue,
                          accepted, invitation.expiresAt?.rfc3339 ?? "never"])
        }
        table.lines.forEach(Terminal.line)
        for summary in summaries where summary.status == .invalid {
            Terminal.note("\(Terminal.prefix): invalid: \(summary.item.problem ?? summary.item.id)")
        }
    }

    /// Who may accept it, in a few words.
    private static func audience(_ invitation: Invitation) -> String {
        if let subject = invitation.subject { return subject }
        if let uid = invitation.userID { return "new account \(uid)" }
        return invitation.anonymous ? "anyone, anonymously" : "anyone signed in"
    }

    private static func object(_ summary: InvitationCatalog.Summary) -> JSONValue {
        guard let invitation = summary.item.invitation else {
            return .object([
                ("id", .string(summary.item.id)), ("project", .null), ("role", .null), ("status", .string("invalid")),
                ("uses", .null), ("accepted", .number("0")), ("expires", .null), ("detail", summary.item.problem.map(JSONValue.string) ?? .null),
            ])
        }
        return .object([
            ("id", .string(invitation.id)),
            ("project", .string(invitation.project)),
            ("role", .string(invitation.role)),
            ("status", .string(summary.status.rawValue)),
            ("uses", invitation.effectiveUses.map { .number(String($0)) } ?? .null),
            ("accepted", .number(String(summary.accepted))),
            ("expires", invitation.expiresAt.map { .string($0.rfc3339) } ?? .null),
            ("for", invitation.subject.map(JSONValue.string) ?? .null),
            ("uid", invitation.userID.map(JSONValue.string) ?? .null),
            ("label", invitation.label.map(JSONValue.string) ?? .null),
        ])
    }
}
