import ArgumentParser
import TesseraCore

/// The options that make a verifier: which keys to trust, which list revokes, which audience, how much clock skew.
public struct VerifierOptions: ParsableArguments {
    @OptionGroup public var site: SiteOptions

    @Option(name: .long, help: ArgumentHelp("The revocation list (default: <site>/revoked.txt; a missing default means nothing is revoked).", valueName: "file"))
    public var revoked: String?

    @Option(name: .long, help: ArgumentHelp("Accept only invitations minted for this audience.", valueName: "aud"))
    public var audience: String?

    @Option(name: .long, help: ArgumentHelp("Clock skew tolerated on exp, nbf and iat, e.g. 60s or 2m.", valueName: "span"))
    public var leeway: String = "60s"

    public init() {}

    /// Loads the keyring and the revocation list; any problem is a configuration error (exit 2) naming the file.
    public func makeVerifier() throws(CommandLineError) -> Verifier {
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
        return Verifier(keyring: keyring, revocations: try loadRevocationList(), audience: audience, leeway: leewaySeconds)
    }

    /// Reads the revocation list named by `--revoked`, or the site's.
    public func loadRevocationList() throws(CommandLineError) -> RevocationList {
        let path = revoked ?? site.folder.revocationList
        let bytes: [UInt8]?
        do {
            bytes = revoked == nil ? try FileSystem.readIfPresent(path) : try FileSystem.read(path)
        } catch {
            throw CommandLineError(error.description, hint: revoked == nil ? nil : "check the --revoked path")
        }
        guard let bytes else { return RevocationList() }
        do {
            return try RevocationList(parsing: bytes)
        } catch {
            throw CommandLineError("\(path):\(error.line): \(error.message)", hint: "fix or remove that line; '#' starts a comment")
        }
    }
}
