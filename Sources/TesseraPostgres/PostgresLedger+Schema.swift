import Logging
import PostgresNIO
import TesseraCore

extension PostgresLedger {
    /// The schema this build writes, kept in `tessera_schema` so a later build can migrate the database.
    public static let schemaVersion = 1

    /// Serialises first opens from several hosts (`pg_advisory_xact_lock`); the number spells "TSRA".
    static let schemaLock: Int64 = 0x5453_5241

    /// Creates the tables of a new database, or migrates an older one, in one transaction; refuses a newer schema.
    func prepareSchema() async throws(LedgerError) {
        let location = location
        let namespace = namespace
        let version: Int = try await perform { client in
            let logger = Self.quiet
            // The common case, a database already at this version, costs two queries and takes no lock.
            let current = try await client.withConnection { connection in
                // The table is looked up first: a query naming a missing table fails as it is parsed.
                var exists = false
                for try await found in try await connection.query("SELECT to_regclass('tessera_schema') IS NOT NULL", logger: logger).decode(Bool.self) {
                    exists = found
                }
                guard exists else { return nil as Int? }
                var version: Int?
                for try await stored in try await connection.query("SELECT MAX(version) FROM tessera_schema", logger: logger).decode(Int32?.self) {
                    version = stored.map(Int.init)
                }
                return version
            }
            if current == Self.schemaVersion { return Self.schemaVersion }
            return try await client.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.schemaLock))", logger: logger)
                // The name was checked to be lowercase letters, digits and _ when the ledger was opened.
                if let namespace { try await connection.query("CREATE SCHEMA IF NOT EXISTS \(unescaped: namespace)", logger: logger) }
                try await connection.query("CREATE TABLE IF NOT EXISTS tessera_schema (version integer NOT NULL)", logger: logger)
                var version = 0
                for try await stored in try await connection.query("SELECT COALESCE(MAX(version), 0) FROM tessera_schema", logger: logger).decode(Int32.self) {
                    version = Int(stored)
                }
                if version > Self.schemaVersion { return version }
                if version < 1 {
                    // `tessera_invitation` holds one row per invitation, locked by each redemption of it,
                    // with its use count (so checking `uses` costs one lookup however many accepted);
                    // `tessera_acceptance` one row per subject who accepted it. The trigger keeps the
                    // count equal to the rows when rows are deleted, by `prune` or by hand.
                    try await connection.query("""
                        CREATE TABLE tessera_invitation (
                            invitation_id text PRIMARY KEY,
                            uses_taken integer NOT NULL,
                            expires_at bigint
                        )
                        """, logger: logger)
                    try await connection.query("""
                        CREATE TABLE tessera_acceptance (
                            invitation_id text NOT NULL,
                            subject text NOT NULL,
                            project text NOT NULL,
                            role text NOT NULL,
                            accepted_at bigint NOT NULL,
                            expires_at bigint,
                            use_number integer NOT NULL,
                            PRIMARY KEY (invitation_id, subject)
                        )
                        """, logger: logger)
                    try await connection.query("""
                        CREATE FUNCTION tessera_acceptance_uncounted() RETURNS trigger LANGUAGE plpgsql AS $$
                        BEGIN
                            UPDATE tessera_invitation SET uses_taken = uses_taken - 1 WHERE invitation_id = OLD.invitation_id;
                            RETURN NULL;
                        END
                        $$
                        """, logger: logger)
                    try await connection.query("""
                        CREATE TRIGGER tessera_acceptance_uncounted AFTER DELETE ON tessera_acceptance
                        FOR EACH ROW EXECUTE FUNCTION tessera_acceptance_uncounted()
                        """, logger: logger)
                }
                // Later schema versions add their steps here: `if version < 2 { … }`.
                if version < Self.schemaVersion {
                    try await connection.query("DELETE FROM tessera_schema", logger: logger)
                    try await connection.query("INSERT INTO tessera_schema (version) VALUES (\(Int32(Self.schemaVersion)))", logger: logger)
                }
                return version
            }
        }
        if version > Self.schemaVersion {
            throw .unavailable("\(location): written by a newer tessera (schema \(version); this one knows \(Self.schemaVersion))")
        }
    }
}

extension PostgresLedger {
    /// Runs one statement outside any redemption: for tests that damage or inspect the database.
    func execute(_ sql: String) async throws(LedgerError) {
        try await perform { client in
            try await client.query(PostgresQuery(unsafeSQL: sql), logger: Self.quiet)
            return ()
        }
    }
}
