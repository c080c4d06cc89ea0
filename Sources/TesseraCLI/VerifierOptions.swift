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

    @Flag(name: .customLong("no-signup"), help: "Self-signup is off: a --uid invitation is accepted only by that existing account, signed in (default: signup from tessera.toml, else on).")
    public var noSignup = false

    public init() {}

    /// Whether a `uid` invitation may create its account: off with --no-signup or `signup = false`.
    public func allowsSignup() throws(CommandLineError) -> Bool {
        try inputs.allowsSignup()
    }

    /// The same options as plain values.
    public var inputs: VerifierInputs {
        VerifierInputs(site: site.site, keys: site.keys, revoked: revoked, audience: audience, leeway: leeway, noSignup: noSignup)
    }

    /// Loads the keyring and the revocation list; any problem is a configuration error (exit 2) naming the file or address.
    public func makeVerifier() async throws(CommandLineError) -> Verifier {
        try await inputs.makeVerifier()
    }

    /// Where `--revoked` points, else `revoked` in `tessera.toml` (a path there is relative to the site), else the site's `revoked.txt`.
    public func revocationSource() throws(CommandLineError) -> RevocationSource {
        try inputs.revocationSource()
    }

    /// Reads the revocation list, verifying a signed one with `keyring` and refusing one older than the newest this site has accepted.
    public func loadRevocationList(keyring: Keyring, leeway: Int64 = 60) async throws(CommandLineError) -> RevocationList {
        try await inputs.loadRevocationList(keyring: keyring, leeway: leeway)
    }
}
