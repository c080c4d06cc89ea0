import Logging
import PostgresNIO
import TesseraCore

/// PostgreSQL's own rates, measured on a pool configured exactly like the ledger's: the references
/// `tessera-bench postgres` puts beside the ledger's figures. Not used by the verifier.
public final class PostgresProbe: Sendable {
    private let client: PostgresClient
    private let runner: Task<Void, Never>
    private let logger = PostgresLedger.quiet

    /// A pool to the database at `url` (same settings as `PostgresLedger`), in PostgreSQL schema `namespace`.
    public init(url: String, namespace: String) throws(LedgerError) {
        var settings = try PostgresSettings(url: url)
        settings.namespace = namespace
        client = PostgresClient(configuration: settings.configuration(connectTimeout: PostgresLedger.connectTimeout), eventLoopGroup: PostgresLedger.eventLoops)
        let client = client
        runner = Task { await client.run() }
    }

    deinit { runner.cancel() }

    /// Runs statements (creating the reference table, filling a ledger), with no parameters.
    public func execute(_ sql: String) async throws {
        try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
    }

    /// One single-row `INSERT` transaction (autocommit: one round trip, one commit) into `tessera_probe`, prepared like the ledger's statements.
    public func insert(_ key: String) async throws {
        for try await _ in try await client.execute(Insert(key: key), logger: logger) {}
    }

    /// The round trips of a ledger's first use, as plain SQL: a `SELECT` that misses, then a single-row `INSERT` that commits by itself.
    public func firstUseShape(_ key: String) async throws {
        try await client.withConnection { [logger] connection in
            for try await _ in try await connection.execute(Select(key: key), logger: logger) {}
            for try await _ in try await connection.execute(Insert(key: key), logger: logger) {}
        }
    }

    /// One `SELECT` of one row of `tessera_probe` by primary key, prepared.
    public func select(_ key: String) async throws {
        for try await _ in try await client.execute(Select(key: key), logger: logger) {}
    }

    private struct Insert: PostgresPreparedStatement {
        static let name = "tessera_probe_insert"
        static let sql = "INSERT INTO tessera_probe (k, v) VALUES ($1, $1)"
        static let bindingDataTypes: [PostgresDataType] = [.text]
        typealias Row = Void
        let key: String

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(key)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }

    private struct Select: PostgresPreparedStatement {
        static let name = "tessera_probe_select"
        static let sql = "SELECT v FROM tessera_probe WHERE k = $1"
        static let bindingDataTypes: [PostgresDataType] = [.text]
        typealias Row = String
        let key: String

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(key)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> String { try row.decode(String.self) }
    }

    /// Creates the reference table `tessera_probe (k text PRIMARY KEY, v text)` and the namespace.
    public func prepare(namespace: String) async throws {
        try await execute("CREATE SCHEMA IF NOT EXISTS \(namespace)")
        try await execute("CREATE TABLE IF NOT EXISTS tessera_probe (k text PRIMARY KEY, v text NOT NULL)")
    }
}
