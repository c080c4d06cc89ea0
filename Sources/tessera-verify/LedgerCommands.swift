import ArgumentParser
import TesseraCLI
import TesseraCore

struct LedgerCommands: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Maintain the ledger of who accepted which invitation.",
        subcommands: [Prune.self]
    )

    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove the ledger rows of invitations that expired longer ago than the leeway.",
            discussion: """
            An expired invitation is refused on its expiry alone, so its rows no longer decide \
            anything; removing them keeps the ledger small. Use --dry-run to see what would go.
            """
        )

        @OptionGroup var siteOptions: SiteOptions

        @OptionGroup var ledgerOptions: LedgerOptions

        @Option(name: .long, help: ArgumentHelp("Keep rows of invitations that expired less than this long ago, e.g. 60s or 1d.", valueName: "span"))
        var leeway: String = "60s"

        @Flag(name: .customLong("dry-run"), help: "Only show which invitations' rows would be removed.")
        var dryRun = false

        func run() async throws {
            let seconds = try OptionValue.seconds(leeway, flag: "--leeway")
            let location = try ledgerOptions.location(in: siteOptions.folder)
            let cutoff = Timestamp.now.adding(seconds: -seconds)
            guard let ledger = try await LedgerOptions.openExisting(location) else {
                Terminal.line("nothing to prune: no ledger at \(location)")
                return
            }
            let ids: [String]
            do {
                ids = try await ledger.prune(expiredBefore: cutoff, dryRun: dryRun)
            } catch {
                throw LedgerOptions.failure(error)
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
