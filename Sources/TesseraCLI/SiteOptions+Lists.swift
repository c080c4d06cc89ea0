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

    /// Where a command that writes `revoked.txt` writes: the file, or the file a link inside the
    /// site leads to. A link leading out of the site, or to nothing, is refused here, before the
    /// command does or says anything, in one message naming the link and its target.
    public func revocationListTarget() throws(CommandLineError) -> String {
        do {
            return try folder.revocationListTarget()
        } catch {
            throw CommandLineError(error.description, hint: "keep the list inside the site folder (a link to it there is fine), or replace the link with the file")
        }
    }

    /// The site's keyring and the invitations minted in it (`out/i/<id>/token`, each verified).
    public func catalog() throws(CommandLineError) -> InvitationCatalog {
        let site = folder
        let keyring: Keyring
        do {
            keyring = try Keyring.load(directory: site.keys, allowingWritableByAnyone: true)  // the generator's side
        } catch {
            throw CommandLineError("cannot load the keys folder: \(error)", hint: "run in the site folder, or pass --site DIR")
        }
        KeyFolderWarnings.warn(about: site.keys)
        do {
            return try InvitationCatalog.load(site, keyring: keyring)
        } catch {
            throw CommandLineError(error.description)
        }
    }
}
