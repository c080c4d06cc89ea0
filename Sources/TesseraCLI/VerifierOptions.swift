import ArgumentParser
import TesseraCore

/// The options that make a verifier: which keys to trust, which list revokes, which audience, how much clock skew.
public struct VerifierOptions: ParsableArguments {
    @OptionGroup public var site: SiteOptions

    @Option(name: .long, help: ArgumentHelp("The revocation list: revoked.txt, or a signed revoked.paseto from 'tessera build' (default: <site>/revoked.txt; a missing default means nothing is revoked).", valueName: "file"))
    public var revoked: String?

    @Option(name: .long, help: ArgumentHelp("Accept only invitations minted for this audience (default: audience from tessera.toml).", valueName: "aud"))
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
        let audience: String?
        if let flag = self.audience { audience = flag } else { audience = try site.settings().audience }
        return Verifier(keyring: keyring, revocations: try loadRevocationList(keyring: keyring), audience: audience, leeway: leewaySeconds)
    }

    /// Reads the revocation list named by `--revoked`, or the site's; a signed list is verified with `keyring`.
    public func loadRevocationList(keyring: Keyring) throws(CommandLineError) -> RevocationList {
        let path = revoked ?? site.folder.revocationList
        let bytes: [UInt8]?
        do {
            bytes = revoked == nil ? try FileSystem.readIfPresent(path) : try FileSystem.read(path)
        } catch {
            throw CommandLineError(error.description, hint: revoked == nil ? nil : "check the --revoked path")
        }
        guard let bytes else { return RevocationList() }
        if bytes.starts(with: SignedToken.header.utf8) {
            return try loadSignedRevocationList(bytes, path: path, keyring: keyring)
        }
        do {
            return try RevocationList(parsing: bytes)
        } catch {
            throw CommandLineError("\(path):\(error.line): \(error.message)", hint: "fix or remove that line; '#' starts a comment")
        }
    }

    /// Verifies a signed list and refuses one older than the newest this site has seen, which `state/` remembers.
    private func loadSignedRevocationList(_ bytes: [UInt8], path: String, keyring: Keyring) throws(CommandLineError) -> RevocationList {
        let folder = site.folder
        let memo = FileSystem.join(folder.state, "revocation-list.iat")
        let held = ((try? FileSystem.readIfPresent(memo, limit: 64)) ?? nil)
            .flatMap { Timestamp(rfc3339: String(decoding: $0, as: UTF8.self).trimmingASCIIWhitespace()) }
        let signed: SignedRevocationList
        do {
            signed = try SignedRevocationList(verifying: bytes, keyring: keyring, notOlderThan: held)
        } catch {
            throw CommandLineError("\(path): \(error)", hint: "fetch the current revoked.paseto published by 'tessera build'")
        }
        if held.map({ signed.issuedAt > $0 }) ?? true {
            // Best effort: a verifier that cannot write state/ still checks this list, it only cannot remember it.
            if (try? FileSystem.makeDirectory(folder.state, mode: 0o700)) != nil {
                try? FileSystem.writeAtomically(memo, contents: Array((signed.issuedAt.rfc3339 + "\n").utf8))
            }
        }
        return signed.list
    }
}
