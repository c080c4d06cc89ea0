import Synchronization

extension LedgerLocation {
    /// Opens an SQLite ledger file with the given access; a program that links `TesseraSQLite` provides it.
    public typealias SQLiteOpener = @Sendable (_ path: String, _ access: LedgerAccess) throws(LedgerError) -> any Ledger
    /// Creates or migrates the schema of an SQLite ledger file (`ledger init`).
    public typealias SQLiteInitializer = @Sendable (_ path: String) throws(LedgerError) -> SchemaChange

    private static let sqlite = Mutex<(opener: SQLiteOpener, initializer: SQLiteInitializer, schemaVersion: Int?)?>(nil)

    /// Makes `sqlite:` locations openable in this process; each program that keeps a ledger calls it once at start-up.
    ///
    /// The core links no storage, so without this call such a location opens to `.unavailable`.
    public static func registerSQLite(opener: @escaping SQLiteOpener, initializer: @escaping SQLiteInitializer, schemaVersion: Int? = nil) {
        sqlite.withLock { $0 = (opener, initializer, schemaVersion) }
    }

    private static var sqliteUnlinked: LedgerError { .unavailable("the SQLite ledger is not linked into this program") }

    /// Opens the SQLite ledger at `path` through the registered opener, or explains that this program has none.
    func openSQLite(path: String, access: LedgerAccess) throws(LedgerError) -> any Ledger {
        guard let backend = Self.sqlite.withLock({ $0 }) else { throw Self.sqliteUnlinked }
        return try backend.opener(path, access)
    }

    func initializeSQLite(path: String) throws(LedgerError) -> SchemaChange {
        guard let backend = Self.sqlite.withLock({ $0 }) else { throw Self.sqliteUnlinked }
        return try backend.initializer(path)
    }

    /// Opens a PostgreSQL ledger from its URL; a program that links the PostgreSQL backend provides it.
    public typealias PostgresOpener = @Sendable (_ url: String, _ access: LedgerAccess) async throws(LedgerError) -> any Ledger
    /// Creates or migrates the schema of the PostgreSQL ledger at a URL (`ledger init`).
    public typealias PostgresInitializer = @Sendable (_ url: String) async throws(LedgerError) -> SchemaChange

    private static let postgres = Mutex<(opener: PostgresOpener, initializer: PostgresInitializer, schemaVersion: Int?)?>(nil)

    /// Makes `postgres://…` locations openable in this process; `tessera-verify-full` calls it once at start-up.
    ///
    /// The core cannot link the PostgreSQL client, so without this call such a location opens to `.unavailable`.
    public static func registerPostgres(opener: @escaping PostgresOpener, initializer: @escaping PostgresInitializer, schemaVersion: Int? = nil) {
        postgres.withLock { $0 = (opener, initializer, schemaVersion) }
    }

    private static var postgresUnlinked: LedgerError { .unavailable("the PostgreSQL ledger is only available to tessera-verify") }

    /// Opens the PostgreSQL ledger at `url` through the registered opener, or explains that this program has none.
    func openPostgres(url: String, access: LedgerAccess) async throws(LedgerError) -> any Ledger {
        guard let backend = Self.postgres.withLock({ $0 }) else { throw Self.postgresUnlinked }
        return try await backend.opener(url, access)
    }

    func initializePostgres(url: String) async throws(LedgerError) -> SchemaChange {
        guard let backend = Self.postgres.withLock({ $0 }) else { throw Self.postgresUnlinked }
        return try await backend.initializer(url)
    }

    /// The schema version this program's backend for the location writes, when the backend registered one.
    public var schemaVersion: Int? {
        switch self {
        case .sqlite: Self.sqlite.withLock { $0?.schemaVersion }
        case .postgres: Self.postgres.withLock { $0?.schemaVersion }
        }
    }
}
