import Synchronization

extension LedgerLocation {
    /// Opens a PostgreSQL ledger from its URL; a program that links the PostgreSQL backend provides it.
    public typealias PostgresOpener = @Sendable (_ url: String) async throws(LedgerError) -> any Ledger

    private static let postgresOpener = Mutex<PostgresOpener?>(nil)

    /// Makes `postgres://…` locations openable in this process; `tessera-verify` calls it once at start-up.
    ///
    /// The core cannot link the PostgreSQL client, so without this call such a location opens to `.unavailable`.
    public static func registerPostgresOpener(_ opener: @escaping PostgresOpener) {
        postgresOpener.withLock { $0 = opener }
    }

    /// Opens the PostgreSQL ledger at `url` through the registered opener, or explains that this program has none.
    func openPostgres(url: String) async throws(LedgerError) -> any Ledger {
        guard let opener = Self.postgresOpener.withLock({ $0 }) else {
            throw .unavailable("the PostgreSQL ledger is only available to tessera-verify")
        }
        return try await opener(url)
    }
}
