import ArgumentParser
import TesseraCLI
import TesseraCore
import TesseraMint

struct ListInvitations: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the invitations minted in this site with their status.",
        discussion: """
        Status is one of pending, accepted (n of its uses), expired, revoked, or invalid for a \
        token file that does not verify with the site's keys. It is read from out/i/, \
        revoked.txt and the ledger (ledger in tessera.toml, else state/ledger.sqlite, if it exists), oldest first. \
        ACCEPTED also counts memberships that have ended (--member-for) and members removed \
        by a member: entry of revoked.txt.
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
        if let ledger = try await LedgerOptions.openExisting(LedgerOptions.configured(in: site)) {
            do {
                acceptances = try await ledger.acceptances(project: project)
            } catch {
                throw LedgerOptions.failure(error, location: .default(for: site))
            }
        }
        let now = Timestamp.now
        var endings: [String: (ended: Int, removed: Int)] = [:]
        for acceptance in acceptances {
            var counts = endings[acceptance.invitationID] ?? (0, 0)
            if revocations.entry(removing: acceptance.subject, from: acceptance.project) != nil {
                counts.removed += 1
            } else if acceptance.hasEnded(at: now) {
                counts.ended += 1
            }
            endings[acceptance.invitationID] = counts
        }
        let summaries = catalog.summaries(revocations: revocations, acceptances: acceptances, at: now)
            .filter { project == nil || $0.item.invitation?.project == project }
        let delegations = (try? KeyStore(directory: site.keys).delegations()) ?? []
        /// The delegation a summary's token was minted under: verified in its token, or held in keys/ for its key.
        func delegationName(_ summary: InvitationCatalog.Summary) -> String? {
            guard let token = summary.item.token else { return nil }
            return token.delegation?.delegation.name ?? delegations.first { $0.delegation.key.id == token.keyID }?.name
        }
        /// The status, naming the delegation when a `key:` entry for its key or its root revoked it.
        func status(_ summary: InvitationCatalog.Summary) -> String {
            guard summary.status == .revoked, case .key? = summary.revokedBy, let name = delegationName(summary) else { return summary.status.rawValue }
            return "revoked (delegation \(name))"
        }
        if json {
            for summary in summaries {
                let counts = summary.item.invitation.flatMap { endings[$0.id] } ?? (0, 0)
                var object = Self.object(summary, ended: counts.ended, removed: counts.removed)
                if let name = delegationName(summary), case .object(var members) = object {
                    members.append(("delegation", .string(name)))
                    object = .object(members)
                }
                Terminal.line(String(decoding: object.serialized(), as: UTF8.self))
            }
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
            var accepted = "\(summary.accepted)/" + (invitation.effectiveUses.map(String.init) ?? "∞")
            if let counts = endings[invitation.id], counts.ended + counts.removed > 0 {
                let parts = (counts.ended > 0 ? ["\(counts.ended) ended"] : []) + (counts.removed > 0 ? ["\(counts.removed) removed"] : [])
                accepted += " (" + parts.joined(separator: ", ") + ")"
            }
            table.append([invitation.id, invitation.project, invitation.role, Self.audience(invitation), status(summary),
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
        if let domain = invitation.domain { return "anyone at \(domain.phrase)" }
        if let uid = invitation.userID { return "new account \(uid)" }
        return invitation.anonymous ? "anyone, anonymously" : "anyone signed in"
    }

    private static func object(_ summary: InvitationCatalog.Summary, ended: Int, removed: Int) -> JSONValue {
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
            ("ended", .number(String(ended))),
            ("removed", .number(String(removed))),
            ("expires", invitation.expiresAt.map { .string($0.rfc3339) } ?? .null),
            ("for", (invitation.subject ?? invitation.domain.map { EmailDomain.claimPrefix + $0.description }).map(JSONValue.string) ?? .null),
            ("member_for", invitation.memberFor.map { .number(String($0)) } ?? .null),
            ("uid", invitation.userID.map(JSONValue.string) ?? .null),
            ("label", invitation.label.map(JSONValue.string) ?? .null),
        ])
    }
}
