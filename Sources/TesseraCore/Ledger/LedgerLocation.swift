/// Where a verifier keeps its ledger: an SQLite file on this machine, or a PostgreSQL database shared by several.
///
/// Only the place: opening it needs a backend, which the core does not link (`TesseraSQLite` adds `open()`, `openExisting()`, `initialize()`).
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

    /// The hint that goes with a failure of this ledger: what to run or check, fitting its kind.
    public func hint(for error: LedgerError) -> String {
        if case .schemaNotReady = error {
            switch self {
            case .sqlite: return "run tessera-verify ledger init --ledger '\(self)' (once; it creates or migrates the file)"
            case .postgres:
                return "run tessera-verify ledger init with the same --ledger or tessera.toml (once, as a role allowed to create tables), then start the gateways"
            }
        }
        switch self {
        case .sqlite:
            return "check that the ledger file and its folder are readable and writable by this user, or pass --ledger"
        case .postgres(let url):
            let server = (try? PostgresAddress(url: url)).map { "\($0.host):\($0.port)" } ?? "the database"
            return "check that PostgreSQL is running and reachable at \(server), and the role, password and database in the URL (--ledger or tessera.toml)"
        }
    }

    /// The URL without its password: postgres://user:password@host/db → postgres://user@host/db.
    static func redacted(_ url: String) -> String {
        guard let scheme = url.firstRange(of: "://"), let at = url[scheme.upperBound...].lastIndex(of: "@") else { return url }
        let credentials = url[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + String(url[at...])
    }
}

/// What `ledger init` did: the schema version found and the one now in place.
public struct SchemaChange: Sendable, Equatable {
    /// 0 when there was no schema.
    public var before: Int
    public var after: Int

    public init(before: Int, after: Int) {
        self.before = before
        self.after = after
    }
}

/// The host and port of a postgres:// URL, for hints; nothing else of it.
struct PostgresAddress {
    var host: String
    var port: Int

    init(url: String) throws {
        guard let scheme = url.firstRange(of: "://") else { throw LedgerError.unavailable("not a URL") }
        var rest = url[scheme.upperBound...]
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        if let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) { rest = rest[..<slash] }
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            host = String(rest[...close])
            let after = rest[rest.index(after: close)...]
            port = after.hasPrefix(":") ? Int(after.dropFirst()) ?? 5432 : 5432
        } else if let colon = rest.lastIndex(of: ":") {
            host = String(rest[..<colon])
            port = Int(rest[rest.index(after: colon)...]) ?? 5432
        } else {
            host = String(rest)
            port = 5432
        }
    }
}
