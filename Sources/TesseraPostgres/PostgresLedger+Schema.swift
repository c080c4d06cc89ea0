import Logging
import PostgresNIO
import struct Foundation.UUID
import TesseraCore

extension PostgresLedger {
    /// One schema step: run inside the migration's transaction, on its connection.
    typealias Migration = @Sendable (PostgresConnection, Logger) async throws -> Void

    /// The schema, one step per version, oldest first: step `n` brings a database from version `n` to `n + 1`.
    ///
    /// To change the schema, write one function that makes the change (like `createTables`) and
    /// append it here; nothing else: `schemaVersion` follows, `tessera-verify ledger init` runs the
    /// missing steps in one transaction, and every gateway refuses a database that is not yet at
    /// this version (fail closed) until it has.
    static let migrations: [Migration] = [createTables, addMembershipEnd, addMembershipFeed, numberEventsByTransaction, recordFirstUseAttempts,
                                          numberEventsWithinTransactions]

    /// The schema this build writes, kept in `tessera_schema` so a later build can migrate the database.
    public static var schemaVersion: Int { migrations.count }

    /// Serialises concurrent `ledger init`s of one schema from several hosts (`pg_advisory_xact_lock(key, hashtext(schema))`);
    /// the number spells "TSRA". Inits of different schemas do not wait for each other: one lock for the whole
    /// database queued every tenant's init behind the others', past the deadline when many started at once.
    static let schemaLock: Int32 = 0x5453_5241

    /// Version 1: invitations with their use counts, and acceptances.
    @Sendable private static func createTables(_ connection: PostgresConnection, _ logger: Logger) async throws {
        // `tessera_invitation` holds one row per invitation, locked by each first use of it,
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

    /// The version in `tessera_schema`, read without writing or locking: 0 when the table does not exist.
    static func storedVersion(on connection: PostgresConnection, logger: Logger) async throws -> Int {
        // The table is looked up first: a query naming a missing table fails as it is parsed.
        var exists = false
        for try await found in try await connection.query("SELECT to_regclass('tessera_schema') IS NOT NULL", logger: logger).decode(Bool.self) {
            exists = found
        }
        guard exists else { return 0 }
        var version = 0
        for try await stored in try await connection.query("SELECT COALESCE(MAX(version), 0) FROM tessera_schema", logger: logger).decode(Int32.self) {
            version = Int(stored)
        }
        return version
    }

    /// The schema version in the database: 0 when there is none.
    func storedVersion() async throws(LedgerError) -> Int {
        try await perform { client in
            try await client.withConnection { connection in try await Self.storedVersion(on: connection, logger: Self.quiet) }
        }
    }

    /// Fails unless the schema is at this build's version; reads only.
    func requireCurrentSchema() async throws(LedgerError) {
        let version = try await storedVersion()
        let place = namespace.map { " (schema \($0))" } ?? ""
        if version == 0 {
            throw .schemaNotReady("\(location)\(place): no tessera ledger tables in this database")
        }
        if version < Self.schemaVersion {
            throw .schemaNotReady("\(location)\(place): ledger schema version \(version) is older than this tessera's \(Self.schemaVersion)")
        }
        if version > Self.schemaVersion {
            throw .unavailable("\(location)\(place): written by a newer tessera (schema \(version); this one knows \(Self.schemaVersion))")
        }
        let ahead: Bool = try await perform { client in
            var ahead = false
            for try await value in try await client.query(Self.eventIDsAheadQuery, logger: Self.quiet).decode(Bool.self) { ahead = value }
            return ahead
        }
        if ahead {
            throw .schemaNotReady("\(location)\(place): its join-event ids are ahead of this database's transaction ids (restored or moved from another cluster?), so new events would be hidden behind delivered ones")
        }
    }

    /// Creates the tables of a new database, or runs the missing steps of an older one, in one transaction; refuses a newer schema.
    func initializeSchema() async throws(LedgerError) -> SchemaChange {
        let namespace = namespace
        let before: Int = try await perform { client in
            let logger = Self.quiet
            return try await client.withTransaction(logger: logger) { connection in
                // Without a namespace, the tables go to the first schema of the default search path.
                let schema = namespace ?? ""
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.schemaLock), hashtext(COALESCE(NULLIF(\(schema), ''), current_schema(), '')))", logger: logger)
                // The name was checked to be lowercase letters, digits and _ when the ledger was opened.
                if let namespace { try await connection.query("CREATE SCHEMA IF NOT EXISTS \(unescaped: namespace)", logger: logger) }
                let version = try await Self.storedVersion(on: connection, logger: logger)
                guard version <= Self.schemaVersion else { return version }
                if version < Self.schemaVersion {
                    try await connection.query("CREATE TABLE IF NOT EXISTS tessera_schema (version integer NOT NULL)", logger: logger)
                    for step in Self.migrations[version...] { try await step(connection, logger) }
                    try await connection.query("DELETE FROM tessera_schema", logger: logger)
                    try await connection.query("INSERT INTO tessera_schema (version) VALUES (\(Int32(Self.schemaVersion)))", logger: logger)
                }
                try await Self.rebaseEventIDs(connection, logger)
                return version
            }
        }
        if before > Self.schemaVersion {
            throw .unavailable("\(location): written by a newer tessera (schema \(before); this one knows \(Self.schemaVersion))")
        }
        return SchemaChange(before: before, after: Self.schemaVersion)
    }
}

extension PostgresLedger {
    /// Schema 2 (issue 14): each row keeps when its membership ends (`--member-for`), so `ledger prune` can remove ended ones without the token.
    @Sendable static func addMembershipEnd(_ connection: PostgresConnection, _ logger: Logger) async throws {
        try await connection.query("ALTER TABLE tessera_acceptance ADD COLUMN member_until bigint", logger: logger)
    }
}

extension PostgresLedger {
    /// Schema 3 (issue 14): the new-membership feed, its counter, and how far each `--on-join` destination has acknowledged it.
    ///
    /// Its one-row counter numbered events in commit order by staying locked until each COMMIT,
    /// which serialised every new membership across every gateway; schema 4 replaces it.
    @Sendable static func addMembershipFeed(_ connection: PostgresConnection, _ logger: Logger) async throws {
        try await connection.query("""
            CREATE TABLE tessera_event (
                id bigint PRIMARY KEY,
                invitation_id text NOT NULL,
                subject text NOT NULL,
                project text NOT NULL,
                role text NOT NULL,
                accepted_at bigint NOT NULL,
                expires_at bigint,
                member_until bigint,
                created_account boolean NOT NULL
            )
            """, logger: logger)
        try await connection.query("""
            CREATE TABLE tessera_event_counter (
                single boolean PRIMARY KEY DEFAULT true CHECK (single),
                last_id bigint NOT NULL
            )
            """, logger: logger)
        try await connection.query("INSERT INTO tessera_event_counter (single, last_id) VALUES (true, 0)", logger: logger)
        try await connection.query("""
            CREATE TABLE tessera_event_delivery (
                sink text PRIMARY KEY,
                delivered_through bigint NOT NULL
            )
            """, logger: logger)
    }
}

extension PostgresLedger {
    /// Schema 4 (issue 16): an event's id is its transaction's id, plus a fixed offset that keeps ids above those the counter gave.
    ///
    /// A sequence would not do: its numbers are taken before commit, so a follower reading
    /// `id > last` could pass over a row that commits later with a smaller id. A transaction id
    /// is taken before commit too, but the database can say which transactions of this database
    /// are still running: a follower reads only events below the oldest of them (`eventHorizon`),
    /// where nothing can still appear, so it never passes over one. One new membership is one
    /// transaction, and `tessera_event.id` is the primary key: a second event in one transaction
    /// would fail, and with it the redemption.
    @Sendable static func numberEventsByTransaction(_ connection: PostgresConnection, _ logger: Logger) async throws {
        try await connection.query("""
            CREATE TABLE tessera_event_origin (
                single boolean PRIMARY KEY DEFAULT true CHECK (single),
                id_offset bigint NOT NULL
            )
            """, logger: logger)
        // Above every id given so far, the counter's and the table's: a follower's mark stays valid. The
        // lock waits for the transactions of older gateways that hold the counter, so their ids count too.
        try await connection.query("LOCK TABLE tessera_event_counter IN ACCESS EXCLUSIVE MODE", logger: logger)
        try await connection.query("""
            INSERT INTO tessera_event_origin (single, id_offset)
            SELECT true, GREATEST(0, GREATEST((SELECT last_id FROM tessera_event_counter), (SELECT COALESCE(MAX(id), 0) FROM tessera_event))
                                     - pg_current_xact_id()::text::bigint + 1)
            """, logger: logger)
        try await connection.query("DROP TABLE tessera_event_counter", logger: logger)
    }

    /// Raises the offset when the database's transaction ids have fallen behind its event ids (a dump
    /// restored into another cluster starts them low again): new ids then stay above every event and
    /// every delivered mark. Run by `ledger init`, under its lock, with writers of events held off.
    static func rebaseEventIDs(_ connection: PostgresConnection, _ logger: Logger) async throws {
        try await connection.query("LOCK TABLE tessera_event IN EXCLUSIVE MODE", logger: logger)
        try await connection.query("""
            UPDATE tessera_event_origin SET id_offset = id_offset + GREATEST(0,
                \(unescaped: highestEventMark) / \(eventsPerTransaction) - (pg_current_xact_id()::text::bigint + id_offset) + 1)
            """, logger: logger)
    }

    /// The highest event id or delivered mark in the ledger: what new ids must stay above.
    static let highestEventMark = "GREATEST((SELECT COALESCE(MAX(id), 0) FROM tessera_event), (SELECT COALESCE(MAX(delivered_through), 0) FROM tessera_event_delivery))"

    /// True when event ids or delivered marks are at or above the next id this database would give:
    /// the ledger was moved to another cluster, and `ledger init` must raise the offset first.
    static let eventIDsAheadQuery: PostgresQuery = """
        SELECT \(unescaped: highestEventMark)
               >= (pg_snapshot_xmax(pg_current_snapshot())::text::bigint + (SELECT id_offset FROM tessera_event_origin)) * \(unescaped: String(eventsPerTransaction))
        """

    /// The ids of the events a transaction writes start above this: its transaction id plus the
    /// offset, times `eventsPerTransaction`; each event adds its slot in the batch (schema 6).
    static let eventBase = "((pg_current_xact_id()::text::bigint + (SELECT id_offset FROM tessera_event_origin)) * \(eventsPerTransaction))"

    /// Room for the events of one transaction: a batch of first uses holds fewer (`FirstUseBatches.maximumBatch`).
    static let eventsPerTransaction: Int64 = 1024

    /// Every event with a smaller id is final (committed, or never to be): the oldest transaction
    /// still running in this database, else the next transaction id, plus the offset.
    ///
    /// Its own statement, read before the events: an event read in the same statement could belong to
    /// a transaction that was running when that statement's snapshot was taken and ended before
    /// `pg_stat_activity` was read, so neither would show it. Other databases of the cluster do not
    /// hold it back (`pg_snapshot_xmin` would wait for every transaction of the cluster).
    /// `backend_xid` is 32 bits: it is put in whichever epoch brings it within 2^31 of the snapshot's
    /// `xmax` (a running id may be above `xmax`, which is the newest ended one plus one). On a hot
    /// standby `pg_stat_activity` does not show the primary's transactions: there the snapshot's
    /// `xmin` (the oldest the primary still runs, as replayed) bounds it instead.
    static let eventHorizonQuery: PostgresQuery = """
        SELECT (LEAST(x.next, COALESCE(MIN(
                   CASE WHEN y.id > x.next + 2147483648 THEN y.id - 4294967296
                        WHEN y.id < x.next - 2147483648 THEN y.id + 4294967296
                        ELSE y.id END), x.next))
               + (SELECT id_offset FROM tessera_event_origin)) * \(unescaped: String(eventsPerTransaction))
        FROM (SELECT (CASE WHEN pg_is_in_recovery() THEN pg_snapshot_xmin(pg_current_snapshot())
                           ELSE pg_snapshot_xmax(pg_current_snapshot()) END)::text::bigint AS next) x
        LEFT JOIN LATERAL (SELECT ((x.next >> 32) << 32) + a.backend_xid::text::bigint AS id FROM pg_stat_activity a
                           WHERE a.datname = current_database() AND a.backend_xid IS NOT NULL) y ON true
        GROUP BY x.next
        """

    /// The id below which every event is final, read on its own (see `eventHorizon`).
    static func eventHorizon(on client: PostgresClient, logger: Logger) async throws -> Int64 {
        var horizon: Int64 = 0
        for try await value in try await client.query(eventHorizonQuery, logger: logger).decode(Int64.self) { horizon = value }
        return horizon
    }
}

extension PostgresLedger {
    /// Schema 5 (issue 16): a first use is one statement that commits by itself, so it cannot give a
    /// use back by rolling back, nor tell its transaction's id before it commits.
    ///
    /// `tessera_attempt` keeps each first use's random id, written by its statement: when the
    /// answer is lost, inserting the same id elsewhere either finds it (the use committed) or keeps
    /// it from ever committing (`resolve`). Rows older than an hour serve nothing; `ledger prune`
    /// removes them. `tessera_use_given_back()` fails the statement when the subject's row was
    /// committed by another gateway after the use was counted, which undoes the count.
    @Sendable static func recordFirstUseAttempts(_ connection: PostgresConnection, _ logger: Logger) async throws {
        // `fence` marks an id inserted by `resolve` rather than by the first use itself.
        try await connection.query("CREATE TABLE tessera_attempt (nonce uuid PRIMARY KEY, created_at bigint NOT NULL, fence boolean NOT NULL DEFAULT false)",
                                   logger: logger)
        try await connection.query("""
            CREATE FUNCTION tessera_use_given_back() RETURNS integer LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'the subject was recorded by another first use meanwhile; this use is given back' USING ERRCODE = '\(unescaped: useGivenBack)';
            END
            $$
            """, logger: logger)
    }

    /// How long an attempt's id is kept: far longer than any deadline during which its answer is looked for.
    static let attemptRetention: Int64 = 3600
}

extension PostgresLedger {
    /// Schema 6 (issue 16): one transaction commits a batch of first uses, so it writes several
    /// events; each is numbered by the transaction's id times `eventsPerTransaction` plus its slot
    /// in the batch, and ids still sort in the order a follower may read them (`eventHorizon`).
    ///
    /// The ids and delivered marks already written are multiplied by the same factor (slot 0), so
    /// every mark still stands where it stood. `slot` has no default: a gateway still on schema 5
    /// leaves it out, and its first uses now fail, closed, rather than write events with ids that
    /// would sort below every delivered mark and never be read.
    @Sendable static func numberEventsWithinTransactions(_ connection: PostgresConnection, _ logger: Logger) async throws {
        try await connection.query("LOCK TABLE tessera_event, tessera_event_delivery IN EXCLUSIVE MODE", logger: logger)
        try await connection.query("ALTER TABLE tessera_event ADD COLUMN slot smallint NOT NULL DEFAULT 0", logger: logger)
        try await connection.query("ALTER TABLE tessera_event ALTER COLUMN slot DROP DEFAULT", logger: logger)
        // Through negative ids: the key is checked row by row, and id * 1024 may be another row's id until that one moves too.
        try await connection.query("UPDATE tessera_event SET id = -id * \(eventsPerTransaction)", logger: logger)
        try await connection.query("UPDATE tessera_event SET id = -id", logger: logger)
        try await connection.query("UPDATE tessera_event_delivery SET delivered_through = delivered_through * \(eventsPerTransaction)", logger: logger)
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

    /// The first column of every row of one query, as text: for tests that inspect the database.
    func strings(_ sql: String) async throws(LedgerError) -> [String?] {
        try await perform { client in
            var values: [String?] = []
            for try await value in try await client.query(PostgresQuery(unsafeSQL: sql), logger: Self.quiet).decode(String?.self) {
                values.append(value)
            }
            return values
        }
    }

    /// Runs `body` while a first use of `request` is written but not yet committed, then commits it: for tests of what a follower of the feed sees meanwhile.
    func whileRedeeming<T: Sendable>(_ request: RedemptionRequest, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await client.withConnection { connection in
            try await connection.query("BEGIN", logger: Self.quiet)
            let result: Result<T, any Error>
            do {
                _ = try await Self.apply([request], attempt: UUID(), on: connection, logger: Self.quiet, location: location)
                result = .success(try await body())
            } catch {
                result = .failure(error)
            }
            if case .success = result {
                try await connection.query("COMMIT", logger: Self.quiet)
            } else {
                try await connection.query("ROLLBACK", logger: Self.quiet)
            }
            return try result.get()
        }
    }

    /// Runs `body` while another transaction holds the row lock of `invitation` (`SELECT … FOR UPDATE`): for tests of what waits for it.
    func whileLocking<T: Sendable>(invitation: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await client.withConnection { connection in
            try await connection.query("BEGIN", logger: Self.quiet)
            let result: Result<T, any Error>
            do {
                try await connection.query("SELECT 1 FROM tessera_invitation WHERE invitation_id = \(invitation) FOR UPDATE", logger: Self.quiet)
                result = .success(try await body())
            } catch {
                result = .failure(error)
            }
            try await connection.query("ROLLBACK", logger: Self.quiet)
            return try result.get()
        }
    }
}
