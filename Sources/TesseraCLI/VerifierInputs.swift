import TesseraCore

/// What `VerifierOptions` holds, as plain values: what a command line that was not parsed by ArgumentParser fills in.
///
/// `tessera-verify check` reads the common forms of its command line itself (see `CheckRequest`), because
/// ArgumentParser's reflection costs more at start-up than the whole check; this is where both ways meet.
public struct VerifierInputs: Sendable, Equatable {
    /// `--site`.
    public var site: String = "."
    /// `--keys`.
    public var keys: String?
    /// `--revoked`.
    public var revoked: String?
    /// `--audience`.
    public var audience: String?
    /// `--leeway`.
    public var leeway: String = "60s"
    /// `--no-signup`.
    public var noSignup = false

    public init(site: String = ".", keys: String? = nil, revoked: String? = nil, audience: String? = nil, leeway: String = "60s",
                noSignup: Bool = false) {
        self.site = site
        self.keys = keys
        self.revoked = revoked
        self.audience = audience
        self.leeway = leeway
        self.noSignup = noSignup
    }

    /// Whether a `uid` invitation may create its account: off with --no-signup or `signup = false`.
    public func allowsSignup() throws(CommandLineError) -> Bool {
        if noSignup { return false }
        return try SiteOptions.settings(of: folder).signup ?? true
    }

    /// The site folder these options name.
    public var folder: SiteFolder { SiteFolder(root: site, keys: keys) }

    /// Loads the keyring and the revocation list; any problem is a configuration error (exit 2) naming the file or address.
    ///
    /// With `token` (a one-shot check of that token), a long plain list keeps only that token's
    /// invitation id, read from the token once its signature holds: such a verifier refuses every
    /// other invitation as revoked.
    public func makeVerifier(for token: [UInt8]? = nil) async throws(CommandLineError) -> Verifier {
        let folder = self.folder
        let keyring: Keyring
        do {
            keyring = try Keyring.load(directory: folder.keys)
        } catch {
            throw CommandLineError("cannot load the keys folder: \(error)", hint: error.hint)
        }
        KeyFolderWarnings.warn(about: folder.keys)
        guard !keyring.isEmpty else {
            throw CommandLineError("no public keys in \(folder.keys)", hint: "copy NAME.public.pem from the site that mints, or run 'tessera keys export --format pem'")
        }
        let leewaySeconds = try OptionValue.seconds(leeway, flag: "--leeway")
        let audience: String?
        if let flag = self.audience { audience = flag } else { audience = try SiteOptions.settings(of: folder).audience }
        var onlyInvitation: (@Sendable () -> String?)?
        if let token {
            let signatureOnly = Verifier(keyring: keyring, delegationCache: nil)
            onlyInvitation = { () -> String? in
                do {
                    return try signatureOnly.verifySignature(token).invitation.id
                } catch {
                    return nil  // The real check refuses it; the whole list is read meanwhile.
                }
            }
        }
        let revocations = try await loadRevocationList(keyring: keyring, leeway: leewaySeconds, onlyInvitation: onlyInvitation)
        var verifier = Verifier(keyring: keyring, revocations: revocations, audience: audience, leeway: leewaySeconds)
        verifier.allowsSignup = try allowsSignup()
        return verifier
    }

    /// Where `--revoked` points, else `revoked` in `tessera.toml` (a path there is relative to the site), else the site's `revoked.txt`.
    public func revocationSource() throws(CommandLineError) -> RevocationSource {
        let configured = try configuredRevocationList()
        guard let text = configured?.text else { return .file(folder.revocationList) }
        do {
            let source = try RevocationSource(parsing: text)
            if case .file(let path) = source, configured?.fromSettings == true { return .file(folder.path(path)) }
            return source
        } catch {
            throw CommandLineError("--revoked: \"\(text)\" \(error.message)", hint: "give a file path, or the https:// address of a published revoked.paseto")
        }
    }

    /// The list named by `--revoked` or by the settings, if any: then it must exist.
    private func configuredRevocationList() throws(CommandLineError) -> (text: String, fromSettings: Bool)? {
        if let revoked { return (revoked, false) }
        return try SiteOptions.settings(of: folder).revoked.map { ($0, true) }
    }

    /// Reads the revocation list, verifying a signed one with `keyring` and refusing one older than the newest this site has accepted.
    public func loadRevocationList(keyring: Keyring, leeway: Int64 = 60, onlyInvitation: (@Sendable () -> String?)? = nil) async throws(CommandLineError) -> RevocationList {
        let source = try revocationSource()
        let required = try configuredRevocationList() != nil
        var checks = RevocationSource.Checks(now: .now, leeway: leeway)
        checks.onlyInvitation = onlyInvitation
        do {
            return try await source.load(keyring: keyring, memo: RevocationSource.memo(for: folder), required: required, checks: checks).list
        } catch {
            // The site's own revoked.txt needs no advice when merely unreadable: the message names it.
            let hint = error.kind == .unreadable && !required ? nil : error.advice
            throw CommandLineError(error.description, hint: hint)
        }
    }
}
