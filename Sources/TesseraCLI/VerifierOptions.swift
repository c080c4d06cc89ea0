import ArgumentParser
import TesseraCore

/// The options that make a verifier: which keys to trust, which list revokes, which audience, how much clock skew.
public struct VerifierOptions: ParsableArguments {
    @OptionGroup public var site: SiteOptions

    @Option(name: .long, help: ArgumentHelp("The revocation list: revoked.txt, a signed revoked.paseto from 'tessera build', or the http(s):// address where one is published (default: <site>/revoked.txt; a missing default means nothing is revoked).", valueName: "file|url"))
    public var revoked: String?

    @Option(name: .long, help: ArgumentHelp("Accept only invitations minted for this audience (default: audience from tessera.toml).", valueName: "aud"))
    public var audience: String?

    @Option(name: .long, help: ArgumentHelp("Clock skew tolerated on exp, nbf and iat, e.g. 60s or 2m.", valueName: "span"))
    public var leeway: String = "60s"

    public init() {}

    /// Loads the keyring and the revocation list; any problem is a configuration error (exit 2) naming the file or address.
    public func makeVerifier() async throws(CommandLineError) -> Verifier {
        let folder = site.folder
        let keyring: Keyring
        do {
            keyring = try Keyring.load(directory: folder.keys)
        } catch {
            throw CommandLineError("cannot load the keys folder: \(error)", hint: "point --keys or --site at a folder holding NAME.public.pem files")
        }
        guard !keyring.isEmpty else {
            throw CommandLineError("no public keys in \(folder.keys)", hint: "copy NAME.public.pem from the site that mints, or run 'tessera keys export --format pem'")
        }
        let leewaySeconds = try OptionValue.seconds(leeway, flag: "--leeway")
        let audience: String?
        if let flag = self.audience { audience = flag } else { audience = try site.settings().audience }
        return Verifier(keyring: keyring, revocations: try await loadRevocationList(keyring: keyring), audience: audience, leeway: leewaySeconds)
    }

    /// Where `--revoked` points, else `revoked` in `tessera.toml` (a path there is relative to the site), else the site's `revoked.txt`.
    public func revocationSource() throws(CommandLineError) -> RevocationSource {
        let configured = try configuredRevocationList()
        guard let text = configured?.text else { return .file(site.folder.revocationList) }
        do {
            let source = try RevocationSource(parsing: text)
            if case .file(let path) = source, configured?.fromSettings == true { return .file(site.folder.path(path)) }
            return source
        } catch {
            throw CommandLineError("--revoked: \"\(text)\" \(error.message)", hint: "give a file path, or the https:// address of a published revoked.paseto")
        }
    }

    /// The list named by `--revoked` or by the settings, if any: then it must exist.
    private func configuredRevocationList() throws(CommandLineError) -> (text: String, fromSettings: Bool)? {
        if let revoked { return (revoked, false) }
        return try site.settings().revoked.map { ($0, true) }
    }

    /// Reads the revocation list, verifying a signed one with `keyring` and refusing one older than the newest this site has accepted.
    public func loadRevocationList(keyring: Keyring) async throws(CommandLineError) -> RevocationList {
        let source = try revocationSource()
        let required = try configuredRevocationList() != nil
        do {
            return try await source.load(keyring: keyring, memo: RevocationSource.memo(for: site.folder), required: required).list
        } catch {
            // The site's own revoked.txt needs no advice when merely unreadable: the message names it.
            let hint = error.kind == .unreadable && !required ? nil : error.advice
            throw CommandLineError(error.description, hint: hint)
        }
    }
}
