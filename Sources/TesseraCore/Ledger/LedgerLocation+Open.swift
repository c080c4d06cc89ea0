/// Opening a ledger location, through the backend a program registered (see LedgerLocation+Backends.swift).
extension LedgerLocation {
    /// Opens the ledger to redeem: an SQLite file that does not exist yet is created (with its folder, mode 0700).
    ///
    /// Only a new SQLite file gets its schema here, so that the embedded default works on the
    /// first run with nothing to set up: it belongs to this machine and nothing else can be
    /// using it. An existing file with an older schema, and a PostgreSQL database without the
    /// current schema, fail with `schemaNotReady`: several gateways share those, and changing
    /// their schema is the operator's explicit step, `tessera-verify ledger init`.
    public func open() async throws(LedgerError) -> any Ledger {
        switch self {
        case .sqlite(let path):
            try Self.makeFolder(of: path)
            return try openSQLite(path: path, access: .readWrite)
        case .postgres(let url):
            return try await openPostgres(url: url, access: .readWrite)
        }
    }

    /// Opens the ledger only if it already exists: nil for an SQLite file that was never created.
    ///
    /// With `.readOnly` (the default: `members`, `list`, `ledger status`) nothing is written,
    /// not even a lock; a missing or older schema fails with `schemaNotReady`.
    public func openExisting(access: LedgerAccess = .readOnly) async throws(LedgerError) -> (any Ledger)? {
        switch self {
        case .sqlite(let path):
            guard FileSystem.exists(path) else { return nil }
            return try openSQLite(path: path, access: access)
        case .postgres(let url):
            return try await openPostgres(url: url, access: access)
        }
    }

    /// `tessera-verify ledger init`: creates the schema, or migrates an older one; returns the versions before and after.
    public func initialize() async throws(LedgerError) -> SchemaChange {
        switch self {
        case .sqlite(let path):
            try Self.makeFolder(of: path)
            return try initializeSQLite(path: path)
        case .postgres(let url):
            return try await initializePostgres(url: url)
        }
    }

    static func makeFolder(of path: String) throws(LedgerError) {
        let folder = FileSystem.directoryName(of: path)
        guard !FileSystem.isDirectory(folder) else { return }
        do {
            try FileSystem.makeDirectory(folder, mode: 0o700)
            // SQLite makes its own files durable, but not the folder that holds them.
            FileSystem.syncDirectory(containing: folder)
        } catch {
            throw .unavailable(error.description)
        }
    }
}
