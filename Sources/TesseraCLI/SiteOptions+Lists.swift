import TesseraCore

extension SiteOptions {
    /// The site's `revoked.txt` with its lines, or nil when it does not exist; a malformed line is an error naming it (exit 2).
    public func revocationFile() throws(CommandLineError) -> RevocationFile? {
        let path = folder.revocationList
        let bytes: [UInt8]?
        do {
            bytes = try FileSystem.readIfPresent(path)
        } catch {
            throw CommandLineError(error.description)
        }
        guard let bytes else { return nil }
        do {
            return try RevocationFile(parsing: bytes)
        } catch {
            throw CommandLineError("\(path):\(error.line): \(error.message)", hint: "fix or remove that line; '#' starts a comment")
        }
    }

    /// The site's keyring and the invitations minted in it (`out/i/<id>/token`, each verified).
    public func catalog() throws(CommandLineError) -> InvitationCatalog {
        let site = folder
        let keyring: Keyring
        do {
            keyring = try Keyring.load(directory: site.keys)
        } catch {
            throw CommandLineError("cannot load the keys folder: \(error)", hint: "run in the site folder, or pass --site DIR")
        }
        do {
            return try InvitationCatalog.load(site, keyring: keyring)
        } catch {
            throw CommandLineError(error.description)
        }
    }
}
