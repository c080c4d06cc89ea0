import ArgumentParser
import TesseraCLI
import TesseraCore

public struct LedgerCommands: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Maintain the ledger of who accepted which invitation.",
        subcommands: [Init.self, Status.self, Prune.self]
    )

    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the ledger's tables, or migrate them to this version's schema.",
            discussion: """
            The one step that changes a ledger's schema: run it once before starting gateways on a \
            new PostgreSQL database, and again after upgrading Tessera when the gateways say the \
            schema is older. Concurrent runs wait for each other; running it again changes nothing. \
            A new SQLite file is also created by the first redemption; an older one is migrated \
            only by this command. Exit 16 when the ledger cannot be reached or is newer than this tessera.
            """
        )

        @OptionGroup var siteOptions: SiteOptions

        @OptionGroup var ledgerOptions: LedgerOptions

        func run() async throws {
            let location = try ledgerOptions.location(in: siteOptions.folder)
            let change: SchemaChange
            do {
                change = try await location.initialize()
            } catch {
                throw LedgerOptions.failure(error, location: location)
            }
            if change.before == change.after {
                Terminal.line("the ledger at \(location) is at schema version \(change.after): nothing to do")
            } else if change.before == 0 {
                Terminal.line("created the ledger at \(location) (schema version \(change.after))")
            } else {
                Terminal.line("migrated the ledger at \(location) from schema version \(change.before) to \(change.after)")
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the ledger's schema version and size, writing nothing.",
            discussion: """
            Exit 0 when the schema is this tessera's, 16 when it is missing, older (run \
            tessera-verify ledger init) or newer, or the ledger cannot be read.
            """
        )

        @OptionGroup var siteOptions: SiteOptions

        @OptionGroup var ledgerOptions: LedgerOptions

        func run() async throws {
            let location = try ledgerOptions.location(in: siteOptions.folder)
            let rows: [Acceptance]
            do throws(LedgerError) {
                guard let ledger = try await location.openExisting(access: .readOnly) else {
                    throw .schemaNotReady("\(location): no ledger file yet")
                }
                rows = try await ledger.acceptances(project: nil)
            } catch {
                throw LedgerOptions.failure(error, location: location)
            }
            let invitations = Set(rows.map(\.invitationID)).count
            Terminal.line("ledger: \(location)")
            // A read-only open refuses any schema but this tessera's own (exit 16 above).
            Terminal.line("schema: version \(location.schemaVersion.map(String.init) ?? "?") (current)")
            Terminal.line("acceptances: \(rows.count) of \(invitations) invitation\(invitations == 1 ? "" : "s")")
        }
    }

    public struct Prune: AsyncParsableCommand {
        public init() {}

        public static let configuration = CommandConfiguration(
            abstract: "Remove the ledger rows of invitations that expired, and of memberships that ended, longer ago than the leeway.",
            discussion: """
            An expired invitation is refused on its expiry alone, so its rows no longer decide \
            anything; removing them keeps the ledger small. A membership that ended (--member-for) \
            is removed too and its use given back: while its invitation is still valid with a use \
            left, that subject may then accept it again (revoke the invitation, or remove the \
            member in revoked.txt, if that matters). The new-membership events behind --on-join and \
            members --follow go after --keep-events, and only once every --on-join destination the \
            ledger has seen acknowledged them. Use --dry-run to see what would go.
            """
        )

        @OptionGroup var siteOptions: SiteOptions

        @OptionGroup var ledgerOptions: LedgerOptions

        @Option(name: .long, help: ArgumentHelp("Keep rows of invitations that expired less than this long ago, e.g. 60s or 1d.", valueName: "span"))
        var leeway: String = "60s"

        @Option(name: .customLong("keep-events"), help: ArgumentHelp("Keep the new-membership events (what --on-join posts and members --follow prints) this long after the join; older ones go once every --on-join destination has acknowledged them.", valueName: "span"))
        var keepEvents: String = "7d"

        @Flag(name: .customLong("dry-run"), help: "Only show which invitations' rows would be removed.")
        var dryRun = false

        public func run() async throws {
            let seconds = try OptionValue.seconds(leeway, flag: "--leeway")
            // Checked before the ledger is opened: a typo is an error even where there is nothing to prune.
            let eventCutoff = Timestamp.now.adding(seconds: -(try OptionValue.seconds(keepEvents, flag: "--keep-events")))
            let location = try ledgerOptions.location(in: siteOptions.folder)
            let cutoff = Timestamp.now.adding(seconds: -seconds)
            guard let ledger = try await LedgerOptions.openExisting(location, access: .readWrite) else {
                Terminal.line("nothing to prune: no ledger at \(location)")
                return
            }
            let ids: [String]
            let ended: [Acceptance]
            var events: EventPruning?
            do {
                ids = try await ledger.prune(expiredBefore: cutoff, dryRun: dryRun)
                ended = try await ledger.pruneEndedMemberships(before: cutoff, dryRun: dryRun)
                if let feed = ledger as? any MembershipFeed { events = try await feed.pruneEvents(acceptedBefore: eventCutoff, dryRun: dryRun) }
            } catch {
                throw LedgerOptions.failure(error, location: location)
            }
            if let events, events.removed > 0 {
                Terminal.line("\(dryRun ? "would remove" : "removed") \(events.removed) membership event\(events.removed == 1 ? "" : "s") of joins before \(eventCutoff.rfc3339)")
            }
            if let events, events.undelivered > 0 {
                Terminal.line("kept \(events.undelivered) older membership event\(events.undelivered == 1 ? "" : "s") that an --on-join destination has not acknowledged yet")
                for waiting in events.waitingFor {
                    Terminal.line("  waiting for \(Terminal.displayable(waiting.sink)) (acknowledged through event \(waiting.deliveredThrough); delete its row in event_delivery if it is no longer used)")
                }
            }
            for row in ended {
                Terminal.line("\(dryRun ? "would remove" : "removed") the ended membership of \(Terminal.displayable(row.subject)) in \(row.project) (invitation \(row.invitationID), ended \(row.memberUntil?.rfc3339 ?? "-"))")
            }
            if !ended.isEmpty {
                Terminal.line("\(dryRun ? "would prune" : "pruned") \(ended.count) membership\(ended.count == 1 ? "" : "s") that ended before \(cutoff.rfc3339)")
            }
            for id in ids { Terminal.line("\(dryRun ? "would remove" : "removed") the ledger rows of \(id)") }
            let count = "\(ids.count) invitation\(ids.count == 1 ? "" : "s")"
            if ids.isEmpty {
                Terminal.line("nothing to prune: no invitation in the ledger expired before \(cutoff.rfc3339)")
            } else {
                Terminal.line("\(dryRun ? "would prune" : "pruned") the rows of \(count) expired before \(cutoff.rfc3339)")
            }
        }
    }
}
