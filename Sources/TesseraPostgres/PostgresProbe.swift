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

    /// One single-row `INSERT` transaction (autocommit: one round trip, one commit) into `tessera_probe`.
    public func insert(_ key: String) async throws {
        try await client.query("INSERT INTO tessera_probe (k, v) VALUES (\(key), \(key))", logger: logger)
    }

    /// The round trips of a ledger's first use, as plain SQL: a `SELECT` that misses, `BEGIN`, a single-row `INSERT`, `COMMIT`.
    public func firstUseShape(_ key: String) async throws {
        try await client.withConnection { [logger] connection in
            for try await _ in try await connection.query("SELECT v FROM tessera_probe WHERE k = \(key)", logger: logger).decode(String.self) {}
            try await connection.query("BEGIN", logger: logger)
            do {
                try await connection.query("INSERT INTO tessera_probe (k, v) VALUES (\(key), \(key))", logger: logger)
                try await connection.query("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    /// One `SELECT` of one row of `tessera_probe` by primary key.
    public func select(_ key: String) async throws {
        for try await _ in try await client.query("SELECT v FROM tessera_probe WHERE k = \(key)", logger: logger).decode(String.self) {}
    }

    /// Creates the reference table `tessera_probe (k text PRIMARY KEY, v text)` and the namespace.
    public func prepare(namespace: String) async throws {
        try await execute("CREATE SCHEMA IF NOT EXISTS \(namespace)")
        try await execute("CREATE TABLE IF NOT EXISTS tessera_probe (k text PRIMARY KEY, v text NOT NULL)")
    }
}
