import TesseraCore

/// What the first `tessera mint` in an empty folder creates: a signing key, `out/` and an empty `revoked.txt`.
public enum SiteSetup {
    /// The header written into a new `revoked.txt`, so that the file explains itself.
    public static let revocationListHeader = """
        # Tessera revocation list: one entry per line, '#' starts a comment.
        #   <invitation id>              one invitation
        #   project:NAME                 every invitation for a project
        #   key:k4.pid.…                 everything signed by a key
        #   before:2026-11-01T00:00:00Z  everything issued before an instant

        """

    /// Creates what is missing for minting and returns one sentence per thing created.
    public static func prepare(_ site: SiteFolder, at now: Timestamp) throws(KeyStore.Error) -> [String] {
        var created: [String] = []
        let store = KeyStore(directory: site.keys)
        let hasSecret = try store.entries().contains(where: \.hasSecret)
        if !hasSecret {
            let name = store.suggestedName(at: now)
            let key = SigningKey()
            try store.store(key, name: name, makeSigning: true)
            created.append("created signing key \(store.secretPath(name)) (\(key.publicKey.id)), mode 0600: keep it secret")
        }
        do {
            try site.checkContained(FileSystem.join(site.out, "i"))
            try site.checkContained(site.revocationList)
            if try FileSystem.makeDirectory(FileSystem.join(site.out, "i")) {
                created.append("created \(site.out)/, the static site to publish")
            }
            if !FileSystem.exists(site.revocationList) {
                try FileSystem.writeAtomically(site.revocationList, contents: Array(revocationListHeader.utf8))
                created.append("created \(site.revocationList): add a line to revoke")
            }
        } catch {
            throw .file(error)
        }
        return created
    }
}
