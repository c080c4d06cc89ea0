import ArgumentParser
import TesseraCLI
import TesseraCore

struct Members: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show who accepted which invitation, when, and with which role.",
        discussion: """
        Reads the ledger (the site's state/ledger.sqlite, or --ledger), oldest acceptance first. \
        A ledger that does not exist yet is not created: nobody has accepted anything. \
        Exit 16 when the ledger cannot be read.
        """
    )

    @OptionGroup var siteOptions: SiteOptions

    @OptionGroup var ledgerOptions: LedgerOptions

    @Option(name: .long, help: ArgumentHelp("Only acceptances of invitations for this project.", valueName: "project"))
    var project: String?

    @Flag(name: .long, help: "Print one JSON object per acceptance (invitation, subject, project, role, accepted, expires).")
    var json = false

    func run() async throws {
        if let project { _ = try OptionValue.name(project, flag: "--project") }
        let location = try ledgerOptions.location(in: siteOptions.folder)
        var acceptances: [Acceptance] = []
        if let ledger = try await LedgerOptions.openExisting(location) {
            do {
                acceptances = try await ledger.acceptances(project: project)
            } catch {
                throw LedgerOptions.failure(error)
            }
        } else if !json {
            Terminal.note("\(Terminal.prefix): no ledger at \(location) yet: nobody has accepted an invitation")
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
                ])
                Terminal.line(String(decoding: object.serialized(), as: UTF8.self))
            }
            return
        }
        guard !acceptances.isEmpty else { return }
        var table = TextTable(["INVITATION", "SUBJECT", "PROJECT", "ROLE", "ACCEPTED"])
        for acceptance in acceptances {
            table.append([acceptance.invitationID, acceptance.subject, acceptance.project, acceptance.role, acceptance.acceptedAt.rfc3339])
        }
        table.lines.forEach(Terminal.line)
    }
}
