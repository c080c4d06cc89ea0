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
    /// The same folder relative to the site root, as shown to people.
    public static func invitationFolderName(_ id: String) -> String { "out/i/" + id }
}
