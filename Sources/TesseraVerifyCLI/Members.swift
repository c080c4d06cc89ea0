import ArgumentParser
import TesseraCLI
import TesseraCore

public struct Members: AsyncParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        abstract: "Show who accepted which invitation, when, and with which role.",
        discussion: """
        Reads the ledger (the site's state/ledger.sqlite, or --ledger), oldest acceptance first. \
        A ledger that does not exist yet is not created: nobody has accepted anything. \
        STATUS is active, ended (its --member-for span has passed) or removed (a member: entry \
        of the site's revoked.txt names the subject in the project). \
        Exit 16 when the ledger cannot be read.
        """
    )

    @OptionGroup var siteOptions: SiteOptions

    @OptionGroup var ledgerOptions: LedgerOptions

    @Option(name: .long, help: ArgumentHelp("Only acceptances of invitations for this project.", valueName: "project"))
    var project: String?

    @Flag(name: .long, help: "Print one JSON object per acceptance (invitation, subject, project, role, accepted, expires, member_until, status).")
    var json = false

    @Flag(name: .long, help: "After the list, keep running and print each new membership as it is committed (within a second), until interrupted.")
    var follow = false

    public func run() async throws {
        if let project { _ = try OptionValue.name(project, flag: "--project") }
        let location = try ledgerOptions.location(in: siteOptions.folder)
        var acceptances: [Acceptance] = []
        var cursor: Int64 = 0
        let opened = try await LedgerOptions.openExisting(location)
        if let ledger = opened {
            do {
                // The feed position first: a membership committed while the list is read is never missed (one listed is not printed again).
                if follow, let feed = ledger as? any MembershipFeed { cursor = try await feed.latestEventID() }
                acceptances = try await ledger.acceptances(project: project)
            } catch {
                throw LedgerOptions.failure(error, location: location)
            }
        } else if !json {
            Terminal.note("\(Terminal.prefix): no ledger at \(location) yet: nobody has accepted an invitation")
        }
        let removals = try siteOptions.revocationFile()?.list ?? RevocationList()
        let now = Timestamp.now
        func status(_ acceptance: Acceptance) -> String {
            if removals.entry(removing: acceptance.subject, from: acceptance.project) != nil { return "removed" }
            return acceptance.hasEnded(at: now) ? "ended" : "active"
        }
        if json {
            for acceptance in acceptances {
                let object = JSONValue.object([
                    ("invitation", .string(acceptance.invitationID)),
                    ("subject", .string(acceptance.subject)),
                    ("project", .string(acceptance.project)),
                    ("role", .string(acceptance.role)),
                    ("accepted", .string(acceptance.acceptedAt.rfc3339)),
                    ("expires", acceptance.expiresAt.map { .string($0.rfc3339) } ?? .null),
                    ("member_until", acceptance.memberUntil.map { .string($0.rfc3339) } ?? .null),
                    ("status", .string(status(acceptance))),
                ])
                Terminal.line(String(decoding: object.serialized(), as: UTF8.self))
            }
        } else if !acceptances.isEmpty {
            var table = TextTable(["INVITATION", "SUBJECT", "PROJECT", "ROLE", "ACCEPTED", "UNTIL", "STATUS"])
            for acceptance in acceptances {
                table.append([acceptance.invitationID, acceptance.subject, acceptance.project, acceptance.role, acceptance.acceptedAt.rfc3339,
                              acceptance.memberUntil?.rfc3339 ?? "-", status(acceptance)])
            }
            table.lines.forEach(Terminal.line)
        }
        guard follow else { return }
        let seen = Set(acceptances.map { $0.invitationID + "\u{0}" + $0.subject })
        var ledger = opened
        while ledger == nil {
            // Nobody has accepted anything yet: wait for the ledger to appear rather than create it.
            try await Task.sleep(for: Self.pollInterval)
            ledger = try await LedgerOptions.openExisting(location)
        }
        guard let feed = ledger as? any MembershipFeed else {
            throw CommandLineError("--follow: \(location) keeps no event feed")
        }
        while true {
            let events: [MembershipEvent]
            do {
                events = try await feed.events(after: cursor, limit: 1000)
            } catch {
                throw LedgerOptions.failure(error, location: location)
            }
            for event in events {
                cursor = event.id
                let acceptance = event.acceptance
                if let project, acceptance.project != project { continue }
                if seen.contains(acceptance.invitationID + "\u{0}" + acceptance.subject) { continue }
                if json {
                    Terminal.line(String(decoding: event.json().serialized(), as: UTF8.self))
                } else {
                    var line = "joined: \(Terminal.displayable(acceptance.subject)) to \(acceptance.project) as \(acceptance.role) through \(acceptance.invitationID) at \(acceptance.acceptedAt.rfc3339)"
                    if let until = acceptance.memberUntil { line += ", until \(until.rfc3339)" }
                    if event.createdAccount { line += " (new account)" }
                    Terminal.line(line)
                }
            }
            if events.isEmpty { try await Task.sleep(for: Self.pollInterval) }
        }
    }

    /// How often `--follow` reads the feed: well inside the one second it promises.
    static let pollInterval: Duration = .milliseconds(200)
}
