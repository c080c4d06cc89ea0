import ArgumentParser
import Synchronization
import TesseraCLI
import TesseraCore
import TesseraMint
import TesseraSite

struct Build: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-render out/: every link page, and the published keys and signed revocation list.",
        discussion: """
        Pages of invitations that expired or were revoked say so and no longer hold the token. \
        Writes out/.well-known/tessera/keys.json (kid and k4.public of every trusted key) and \
        out/.well-known/tessera/revoked.paseto (revoked.txt signed with the signing key, for \
        verifiers that follow it with --revoked FILE). Publish out/ as it is.
        """
    )

    @OptionGroup var verifierOptions: VerifierOptions

    @Option(help: ArgumentHelp("Sign the revocation list with this key instead of the signing key.", valueName: "name"))
    var key: String?

    func run() async throws {
        let now = Timestamp.now
        let site = verifierOptions.site.folder
        let settings = try SiteSettings.load(site)
        var verifier = try await verifierOptions.makeVerifier()
        verifier.leeway = 0
        let publisher = SitePublisher(site: site, renderer: try SiteSettings.renderer(site, settings))
        let store = KeyStore(directory: site.keys)
        let signing = try store.run { store throws(KeyStore.Error) in try store.signingKey(named: key) }
        let builder = SiteBuilder(publisher: publisher, verifier: verifier)

        var valid = 0, withdrawn = 0, skipped: [String] = []
        do {
            let swept = try builder.sweepLeftovers()
            if swept > 0 { Terminal.note("\(Terminal.prefix): removed \(swept) unfinished file\(swept == 1 ? "" : "s") an interrupted run left in out/") }
            let ids = try builder.invitationIDs()
            let progress = Mutex(Progress(label: "building", total: ids.count))
            let outcomes = try Batch.run(ids.count, progress: { done in progress.withLock { $0.update(done) } }) { (index) throws(FileError) in
                try builder.rebuild(ids[index], at: now)
            }
            for (id, outcome) in zip(ids, outcomes) {
                switch outcome {
                case true?: valid += 1
                case false?: withdrawn += 1
                case nil: skipped.append(id)
                }
            }
            try publisher.publishIndexes()
            try publisher.publishKeyring(verifier.keyring)
            let list = SignedRevocationList(issuedAt: Timestamp(seconds: now.seconds), list: verifier.revocations)
            try publisher.publishRevocationList(Minter(key: signing.key).sign(list))
        } catch {
            throw CommandLineError(error.description)
        }
        FileSystem.flushAll()
        Terminal.line("built \(valid + withdrawn) page\(valid + withdrawn == 1 ? "" : "s"): \(valid) valid, \(withdrawn) no longer valid")
        Terminal.line("wrote out/.well-known/tessera/keys.json (\(verifier.keyring.keys.count) key\(verifier.keyring.keys.count == 1 ? "" : "s")) and revoked.paseto (\(verifier.revocations.count) entr\(verifier.revocations.count == 1 ? "y" : "ies"), signed with \(signing.name))")
        for id in skipped {
            Terminal.note("\(Terminal.prefix): warning: out/i/\(id)/ holds no token a trusted key verifies; left as it is")
        }
    }
}
