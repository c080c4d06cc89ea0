/// Where a verifier keeps its ledger: an SQLite file on this machine, or a PostgreSQL database shared by several.
public enum LedgerLocation: Sendable, Equatable, CustomStringConvertible {
    /// An SQLite file (`sqlite:PATH`), the embedded default.
    case sqlite(path: String)
    /// A PostgreSQL database (`postgres://…` or `postgresql://…`).
    case postgres(url: String)

    /// Parses the `--ledger` forms `sqlite:PATH`, `postgres://…` and `postgresql://…`.
    public init(parsing text: String) throws(LedgerError) {
        if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty, !path.utf8.contains(0) else {
                throw .unavailable("\"\(text)\" names no file: write sqlite:PATH")
            }
            self = .sqlite(path: path)
        } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(url: text)
        } else {
            throw .unavailable("\"\(Self.redacted(text))\" is not sqlite:PATH, postgres://… or postgresql://…")
        }
    }

    /// The site's own ledger, `state/ledger.sqlite`.
    public static func `default`(for site: SiteFolder) -> LedgerLocation {
        .sqlite(path: FileSystem.join(site.state, "ledger.sqlite"))
    }

    /// The location as written on the command line, with any password hidden.
    public var description: String {
        switch self {
        case .sqlite(let path): return "sqlite:" + path
        case .postgres(let url): return Self.redacted(url)
        }
    }

    /// Opens the ledger, creating an SQLite file (and its folder, mode 0700) when missing.
    public func open() async throws(LedgerError) -> any Ledger {
        switch self {
        case .sqlite(let path):
            let folder = FileSystem.directoryName(of: path)
            if !FileSystem.isDirectory(folder) {
                do {
                    try FileSystem.makeDirectory(folder, mode: 0o700)
                    // SQLite makes its own files durable, but not the folder that holds them.
                    FileSystem.syncDirectory(containing: folder)
                } catch {
                    throw .unavailable(error.description)
                }
            }
            return try SQLiteLedger(path: path)
        case .postgres(let url):
            return try await openPostgres(url: url)
        }
    }

    /// Opens the ledger only if it already exists: nil for an SQLite file that was never created.
    ///
    /// Readers (`list`, `members`) use this so that looking never creates state.
    public func openExisting() async throws(LedgerError) -> (any Ledger)? {
        switch self {
        case .sqlite(let path):
            guard FileSystem.exists(path) else { return nil }
            return try SQLiteLedger(path: path)
        case .postgres:
            return try await open()
        }
    }

    private static func redacted(_ url: String) -> String {
        // postgres://user:password@host/db → postgres://user:…@host/db
        guard let scheme = url.firstRange(of: "://"), let at = url[scheme.upperBound...].lastIndex(of: "@") else { return url }
        let credentials = url[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":…" + String(url[at...])
    }
}
