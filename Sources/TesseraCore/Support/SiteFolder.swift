#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The paths of a site folder: settings, keys, the published `out/`, the revocation list and the ledger.
public struct SiteFolder: Sendable, Equatable {
    /// The folder itself (`.` by default).
    public let root: String
    /// The keys folder (`keys/`, or `--keys DIR`).
    public let keys: String

    public init(root: String = ".", keys: String? = nil) {
        self.root = root
        self.keys = keys ?? FileSystem.join(root, "keys")
    }

    /// Builds a path inside the site folder.
    public func path(_ relative: String) -> String { FileSystem.join(root, relative) }

    /// `out/`: the static site to publish.
    public var out: String { path("out") }
    /// `revoked.txt`: the revocation list.
    public var revocationList: String { path("revoked.txt") }
    /// `state/`: the verifier's own state.
    public var state: String { path("state") }
    /// `tessera.toml`: optional settings.
    public var settings: String { path("tessera.toml") }

    /// The folder of one invitation's page and token, `out/i/<id>`.
    public func invitationFolder(_ id: String) -> String { FileSystem.join(out, "i/" + id) }
    /// `out/s/<code>`: the folder of a short link's page, which sends the browser on to the link page.
    public func shortLinkFolder(_ code: String) -> String { FileSystem.join(out, "s/" + code) }
    /// `out/i/<id>/short`: the code of the invitation's short link, so that build, revoke and prune find its page.
    public func shortCodeFile(_ id: String) -> String { FileSystem.join(invitationFolder(id), "short") }

    /// The short code recorded for an invitation, or nil when it has none (or the file holds no valid code).
    public func shortCode(of id: String) -> String? {
        guard let bytes = try? FileSystem.readIfPresent(shortCodeFile(id), limit: 64) else { return nil }
        var trimmed = bytes[...]
        while let last = trimmed.last, last == 0x0a || last == 0x0d { trimmed = trimmed.dropLast() }
        let text = String(decoding: trimmed, as: UTF8.self)
        return ShortCode.isValid(text) ? text : nil
    }

    /// `withdrawn/<id>.token`: the token of an invitation whose page `tessera build` withdrew, kept out of `out/` so it is not published.
    public func withdrawnToken(_ id: String) -> String { path("withdrawn/" + id + ".token") }

    /// The token file of an invitation: the published one, else the withdrawn one; nil when neither exists.
    public func tokenFile(_ id: String) -> String? {
        let published = FileSystem.join(invitationFolder(id), "token")
        if FileSystem.exists(published) { return published }
        let withdrawn = withdrawnToken(id)
        return FileSystem.exists(withdrawn) ? withdrawn : nil
    }

    /// Refuses a write at `path`, a path inside this site, that would land outside the site folder:
    /// a `..` component, or a symbolic link on the way that leads elsewhere (an `out/` linked to
    /// `~/.ssh`, committed to a shared site by someone else). A link that stays inside is fine.
    public func checkContained(_ path: String) throws(FileError) {
        let action = "refusing to write"
        let base = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
        guard base == "." || path == base || path.hasPrefix(base == "/" ? "/" : base + "/") else {
            throw FileError(path: path, code: 0, action: action, detail: "it is not inside the site folder \(root)")
        }
        let relative = base == "." ? path : String(path.dropFirst(base.count))
        if relative.split(separator: "/").contains("..") {
            throw FileError(path: path, code: 0, action: action, detail: "the path goes up with '..'")
        }
        // A site folder that does not exist yet has nothing inside it that could lead out.
        guard let realRoot = FileSystem.realPath(root) else { return }
        var existing = path
        while !FileSystem.existsWithoutFollowing(existing) {
            let parent = FileSystem.directoryName(of: existing)
            if parent == existing { return }
            existing = parent
        }
        guard let real = FileSystem.realPath(existing) else {
            throw FileError(path: existing, code: 0, action: action, detail: "it is a symbolic link to nowhere")
        }
        guard real == realRoot || real.hasPrefix(realRoot == "/" ? "/" : realRoot + "/") else {
            throw FileError(path: path, code: 0, action: action, detail: "\(existing) leads to \(real), outside the site folder (a symbolic link)")
        }
    }

    /// The file to write when `revoked.txt` changes: `revoked.txt` itself, or, when it is a symbolic
    /// link inside the site (a list kept in another folder of it, say under version control), the
    /// file it leads to, so that writes go through the link and keep it. A link leading outside
    /// the site, or to nothing, is refused, before anything is written, in one message naming the
    /// link and where it leads.
    public func revocationListTarget() throws(FileError) -> String {
        let path = revocationList
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK else {
            try checkContained(path)
            return path
        }
        let written = FileSystem.linkTarget(path) ?? "?"
        let action = "refusing to write"
        guard let real = FileSystem.realPath(path) else {
            throw FileError(path: path, code: 0, action: action,
                            detail: "it is a symbolic link to \(written), which does not exist (the list would be lost, not written)")
        }
        let leads = written == real ? "" : ", which leads to \(real)"
        guard let realRoot = FileSystem.realPath(root), real.hasPrefix(realRoot == "/" ? "/" : realRoot + "/") else {
            throw FileError(path: path, code: 0, action: action,
                            detail: "it is a symbolic link to \(written)\(leads), outside the site folder" + (root == "." ? "" : " \(root)"))
        }
        return real
    }

    /// The same folder relative to the site root, as shown to people.
    public static func invitationFolderName(_ id: String) -> String { "out/i/" + id }
}
