import ArgumentParser
import TesseraCLI
import TesseraCore

struct Prune: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove what expired invitations left behind: link folders, revocation lines, ledger rows.",
        discussion: """
        An invitation that expired longer ago than the leeway is refused on its expiry alone, so \
        its out/i/<id>/ folder (and its short link's page, out/s/<code>/), the revoked.txt lines naming exactly its id and its rows in the \
        ledger (ledger in tessera.toml, else state/ledger.sqlite) can go. Every other line and comment of revoked.txt \
        stays as it is. Token files that do not verify are never pruned. Use --dry-run first.
        """
    )

    @OptionGroup var siteOptions: SiteOptions

    @Option(name: .long, help: ArgumentHelp("Keep invitations that expired less than this long ago; at least the verifiers' leeway (e.g. 60s, 1d).", valueName: "span"))
    var leeway: String = "60s"

    @Flag(name: .customLong("dry-run"), help: "Only show what would be removed.")
    var dryRun = false

    func run() async throws {
        let seconds = try OptionValue.seconds(leeway, flag: "--leeway")
        let site = siteOptions.folder
        // A dry run only reads; a real one holds the lock from its first read to its last write.
        let lock = dryRun ? nil : try siteOptions.lockForWriting()
        defer { lock?.release() }
        // Refused up front, even when no line would go: a list linked out of the site is not this site's to rewrite.
        if !dryRun { _ = try siteOptions.revocationListTarget() }
        let cutoff = Timestamp.now.adding(seconds: -seconds)
        let catalog = try siteOptions.catalog()
        let revocations = try siteOptions.revocationFile()
        // `ledger` from tessera.toml, like every verifier of this site: the default file may not be the one in use.
        let ledger = try await LedgerOptions.openExisting(LedgerOptions.configured(in: site), access: .readWrite)
        var ledgerExpired: [String] = []
        if let ledger {
            do {
                ledgerExpired = try await ledger.prune(expiredBefore: cutoff, dryRun: true)
            } catch {
                throw LedgerOptions.failure(error, location: .default(for: site))
            }
        }
        let plan = PrunePlan(cutoff: cutoff, catalog: catalog, revocations: revocations, ledgerExpired: ledgerExpired)
        if plan.isEmpty {
            Terminal.line("nothing to prune: no invitation expired before \(cutoff.rfc3339)")
            return
        }
        let verb = dryRun ? "would remove" : "removed"
        if !dryRun {
            do {
                try await plan.apply(to: site, ledger: ledger)
            } catch {
                switch error {
                case .file(let failure): throw CommandLineError(failure.description)
                case .ledger(let failure): throw LedgerOptions.failure(failure, location: .default(for: site))
                }
            }
        }
        for (line, id) in plan.revocationLines {
            Terminal.line("\(verb) revoked.txt line \(line): \(id)")
        }
        for id in plan.ledgerInvitations {
            Terminal.line("\(verb) the ledger rows of \(id)")
        }
        for invitation in plan.invitations {
            Terminal.line("\(verb) \(site.invitationFolder(invitation.id))/ (expired \(invitation.expiresAt?.rfc3339 ?? ""))")
        }
        let ids = Set(plan.invitations.map(\.id)).union(plan.ledgerInvitations).union(plan.revocationLines.map(\.id))
        Terminal.line("\(dryRun ? "would prune" : "pruned") \(ids.count) invitation\(ids.count == 1 ? "" : "s") expired before \(cutoff.rfc3339)")
    }
}
