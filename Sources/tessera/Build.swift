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
        Pages of invitations that expired or were revoked say so and no longer hold the token; \
        their QR code, slide and short link's page (out/s/<code>/) go. Slides are redrawn where \
        they exist, and written for every page with slides = true. \
        Writes out/.well-known/tessera/keys.json (kid and k4.public of every root key the list does not revoke; delegated keys travel with their tokens) and \
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
        // Taken before the sweep: a running mint's temporary files are its own until it exits.
        let lock = try verifierOptions.site.lockForWriting()
        defer { lock.release() }
        let settings = try SiteSettings.load(site)
        var verifier = try await verifierOptions.makeVerifier()
        verifier.leeway = 0
        let publisher = SitePublisher(site: site, renderer: try SiteSettings.renderer(site, settings))
        let store = KeyStore(directory: site.keys)
        let signing = try store.run { store throws(KeyStore.Error) in try store.signingKey(named: key) }
        // Verifiers refuse a list signed by a key the list in force revokes: it could un-revoke itself. The
        // pages are rebuilt all the same (a revoked invitation's page must stop holding its token); only
        // the signed list is left unwritten, and the run fails after saying so.
        let signerRevoked = verifier.revocations.revokes(key: signing.key.publicKey.id)
        let builder = SiteBuilder(publisher: publisher, verifier: verifier, slides: settings.slides == true)
        // Delegated keys travel with their tokens; only roots are published.
        // A key the list revokes is left out too: nothing it signed is valid, and a verifier that reads only
        // keys.json (not the list) must not go on trusting it.
        let roots = Keyring(try store.run { store throws(KeyStore.Error) in try store.rootKeyring(verifier.keyring) }
            .keys.values.filter { !verifier.revocations.revokes(key: $0.id) })

        var valid = 0, withdrawn = 0, skipped: [String] = []
        do {
            let swept = try builder.sweepLeftovers()
            if swept > 0 { Terminal.note("\(Terminal.prefix): removed \(swept) unfinished file\(swept == 1 ? "" : "s") an interrupted run left in out/") }
            let ids = try builder.invitationIDs()
            let orphans = try builder.sweepOrphanedShortPages(keeping: ids)
            if orphans > 0 {
                Terminal.note("\(Terminal.prefix): removed \(orphans) short link page\(orphans == 1 ? "" : "s") in out/s/ whose invitation folder is gone")
            }
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
            try publisher.publishKeyring(roots)
            // `revoked_valid_for` bounds how long a stale copy (a mirror, a plain-http path) can keep revocations out.
            let issued = Timestamp(seconds: now.seconds)
            if !signerRevoked {
                let list = SignedRevocationList(issuedAt: issued, expiresAt: settings.revokedValidFor.map { issued.adding(seconds: $0) },
                                                list: verifier.revocations)
                try publisher.publishRevocationList(Minter(key: signing.key).sign(list))
            }
        } catch {
            throw CommandLineError(error.description)
        }
        FileSystem.flushAll()
        Terminal.line("built \(valid + withdrawn) page\(valid + withdrawn == 1 ? "" : "s"): \(valid) valid, \(withdrawn) no longer valid")
        let keysLine = "wrote out/.well-known/tessera/keys.json (\(roots.keys.count) key\(roots.keys.count == 1 ? "" : "s"))"
        for id in skipped {
            Terminal.note("\(Terminal.prefix): warning: out/i/\(id)/ holds no token a trusted key verifies; left as it is")
        }
        guard !signerRevoked else {
            Terminal.line(keysLine)
            let delegated = !(try store.run { store throws(KeyStore.Error) in try store.delegations(certifying: signing.key.publicKey) }).isEmpty
            let others = (try? store.entries())?.filter { $0.hasSecret && !verifier.revocations.revokes(key: $0.publicKey.id) && roots.keys[$0.publicKey.id] != nil } ?? []
            throw CommandLineError(
                "revoked.paseto not written: the key \(signing.name) is revoked (key:\(signing.key.publicKey.id) in the revocation list), so verifiers would refuse a list it signs",
                hint: delegated
                    ? "this site's key is a delegated one: the server admin publishes the list its verifiers read (send them the key: line)"
                    : others.isEmpty
                        ? "make a new signing key ('tessera keys new'), then run 'tessera build' again"
                        : "sign the list with another trusted key: tessera build --key \(others[0].name)")
        }
        Terminal.line(keysLine + " and revoked.paseto (\(verifier.revocations.count) entr\(verifier.revocations.count == 1 ? "y" : "ies"), signed with \(signing.name))")
    }
}
