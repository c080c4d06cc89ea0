#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import GRDB
import TesseraCore

extension SQLiteLedger {
    /// The schema, one step per version, oldest first: step `n` brings a file from version `n` to `n + 1`.
    ///
    /// To change the schema, write one function that makes the change and append it here;
    /// nothing else: `schemaVersion` follows, `tessera-verify ledger init` runs the missing
    /// steps in one transaction, and every other command refuses a file that is not yet at
    /// this version (fail closed) until it has.
    static let migrations: [@Sendable (Database) throws -> Void] = [createTables, addMembershipEnd, addMembershipFeed]

    /// The schema this build writes, kept in `PRAGMA user_version` so a later build can migrate the file.
    public static var schemaVersion: Int { migrations.count }

    /// Marks the file as a Tessera ledger (`PRAGMA application_id`, "TSRA"), so another program's database is never taken for one.
    static let applicationID: Int32 = 0x5453_5241

    static func configuration(path: String, readOnly: Bool = false) -> Configuration {
        var configuration = Configuration()
        configuration.label = "tessera.ledger"
        if readOnly {
            // Opened SQLITE_OPEN_READONLY: no journal mode switch, no schema change, no lock taken.
            configuration.readonly = true
            return configuration
        }
        // Another process may hold the write lock for a commit; wait for it rather than fail.
        configuration.busyMode = .timeout(busyTimeout)
        configuration.prepareDatabase { db in
            // The pool's reader connections are read-only: they find the file in WAL mode already.
            if db.configuration.readonly { return }
            try enableWriteAheadLog(db, path: path)
            // In WAL mode, NORMAL may lose the last commits on power loss; a grant must survive it.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        return configuration
    }

    /// Creates the ledger file complete, or leaves it to the process that did: true when this one did.
    ///
    /// The file is built under a hidden name beside `path` (WAL mode, schema, version) and then
    /// linked to `path`, which fails if the name exists. So no process ever opens a half-made
    /// ledger: when sixteen `check --redeem` start on a new machine at once, SQLite gave up on
    /// the switch to WAL without waiting ("database is locked"), and a process could read the
    /// version before another's schema and the tables after ("not a tessera ledger").
    static func createIfMissing(path: String) throws -> Bool {
        guard !FileSystem.exists(path) else { return false }
        let draft = FileSystem.temporaryPath(beside: path)
        do {
            try writeDraft(draft, of: path)
            let created = try publish(draft, as: path)
            removeDraft(draft)
            return created
        } catch {
            removeDraft(draft)
            throw error
        }
    }

    private static func writeDraft(_ draft: String, of path: String) throws {
        let queue = try DatabaseQueue(path: draft, configuration: configuration(path: draft))
        _ = try queue.writeWithoutTransaction { db in try prepareSchema(db, path: path, access: .initialize) }
        // The last connection's close checkpoints the WAL into the file (synced: synchronous is FULL) and removes it.
        try queue.close()
    }

    /// Links `draft` to `path`: false when another process's file got there first.
    private static func publish(_ draft: String, as path: String) throws -> Bool {
        do {
            try FileSystem.link(draft, to: path)
            return true
        } catch where error.code == EEXIST {
            return false
        }
    }

    private static func removeDraft(_ draft: String) {
        for suffix in ["", "-wal", "-shm", "-journal"] { try? FileSystem.remove(draft + suffix) }
    }

    /// GRDB's pool sets `synchronous = NORMAL` after `prepareDatabase` has run: set FULL again on the writer.
    static func requireFullSync(_ db: Database) throws {
        try db.execute(sql: "PRAGMA synchronous = FULL")
    }

    /// WAL lets readers (`members`, `list`) run beside writers; the mode is stored in the file, so only the first open sets it.
    private static func enableWriteAheadLog(_ db: Database, path: String) throws {
        if try String.fetchOne(db, sql: "PRAGMA journal_mode") == "wal" { return }
        let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
        guard mode == "wal" else {
            throw LedgerError.unavailable("\(path): cannot switch to write-ahead logging (journal mode stays \(mode ?? "unknown"))")
        }
    }

    /// Version 1: the acceptances and the per-invitation use counts.
    private static func createTables(_ db: Database) throws {
        // One b-tree per table and no secondary index, so a commit dirties few pages: a
        // commit's cost is its fsync plus the pages it writes to the WAL. Listings scan.
        // `invitation` keeps each invitation's use count, so checking `uses` costs one
        // lookup however many accepted; triggers keep it equal to the acceptance rows,
        // also when someone deletes a row by hand to give a use back.
        try db.execute(sql: """
            CREATE TABLE acceptance (
                invitation_id TEXT NOT NULL,
                subject TEXT NOT NULL,
                project TEXT NOT NULL,
                role TEXT NOT NULL,
                accepted_at INTEGER NOT NULL,
                expires_at INTEGER,
                use_number INTEGER NOT NULL,
                PRIMARY KEY (invitation_id, subject)
            ) WITHOUT ROWID;
            CREATE TABLE invitation (
                invitation_id TEXT NOT NULL PRIMARY KEY,
                uses_taken INTEGER NOT NULL,
                expires_at INTEGER
            ) WITHOUT ROWID;
            CREATE TRIGGER acceptance_counted AFTER INSERT ON acceptance BEGIN
                INSERT INTO invitation (invitation_id, uses_taken, expires_at) VALUES (NEW.invitation_id, 1, NEW.expires_at)
                ON CONFLICT (invitation_id) DO UPDATE SET uses_taken = uses_taken + 1;
            END;
            CREATE TRIGGER acceptance_uncounted AFTER DELETE ON acceptance BEGIN
                UPDATE invitation SET uses_taken = uses_taken - 1 WHERE invitation_id = OLD.invitation_id;
                DELETE FROM invitation WHERE invitation_id = OLD.invitation_id AND uses_taken <= 0;
            END;
            """)
    }

    /// The schema version stored in the file: 0 for a file without one (new, or empty).
    ///
    /// One statement, so one snapshot: read one by one, the version could come from before another
    /// process's schema commit and the tables from after it, and a new ledger looked foreign.
    static func storedVersion(_ db: Database, path: String) throws -> Int {
        let row = try Row.fetchOne(db, sql: """
            SELECT (SELECT application_id FROM pragma_application_id) AS id,
                   (SELECT user_version FROM pragma_user_version) AS version,
                   (SELECT COUNT(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%') AS tables
            """)
        let id: Int32 = row?["id"] ?? 0, version: Int = row?["version"] ?? 0, tables: Int = row?["tables"] ?? 0
        guard id == 0 || id == applicationID else {
            throw LedgerError.unavailable("\(path): an SQLite database of another program (application id \(id))")
        }
        if version > schemaVersion {
            throw LedgerError.unavailable("\(path): written by a newer tessera (schema \(version); this one knows \(schemaVersion))")
        }
        if version == 0, tables != 0 {
            throw LedgerError.unavailable("\(path): an SQLite database that is not a tessera ledger")
        }
        return version
    }

    /// Checks the schema for `access`, creating or migrating it only where that access allows.
    ///
    /// `.initialize` runs every missing step; `.readWrite` creates the schema of a file that has
    /// none (a new file: see `LedgerLocation.open()`) but never migrates an older one; `.readOnly`
    /// changes nothing. The steps run inside one immediate transaction, so that concurrent first
    /// opens agree. Returns the versions before and after.
    @discardableResult
    static func prepareSchema(_ db: Database, path: String, access: LedgerAccess) throws -> SchemaChange {
        let found = try storedVersion(db, path: path)
        if found == schemaVersion { return SchemaChange(before: found, after: found) }
        switch access {
        case .readOnly:
            throw LedgerError.schemaNotReady(found == 0
                ? "\(path): no ledger schema in this file"
                : "\(path): schema version \(found) is older than this tessera's \(schemaVersion)")
        case .readWrite where found != 0:
            throw LedgerError.schemaNotReady("\(path): schema version \(found) is older than this tessera's \(schemaVersion)")
        case .readWrite, .initialize:
            break
        }
        var before = found
        try db.inTransaction(.immediate) {
            // Another process may have done it since the first look.
            before = try storedVersion(db, path: path)
            for step in migrations[before...] { try step(db) }
            try db.execute(sql: "PRAGMA application_id = \(applicationID)")
            try db.execute(sql: "PRAGMA user_version = \(schemaVersion)")
            return .commit
        }
        return SchemaChange(before: before, after: schemaVersion)
    }

    /// Schema 2 (issue 14): each row keeps when its membership ends (`--member-for`), so `ledger prune` can remove ended ones without the token.
    static func addMembershipEnd(_ db: Database) throws {
        try db.execute(sql: "ALTER TABLE acceptance ADD COLUMN member_until INTEGER")
    }

    /// Schema 3 (issue 14): the new-membership feed and how far each `--on-join` destination has acknowledged it.
    ///
    /// `AUTOINCREMENT` so that an id is never reused, even after the newest events are deleted;
    /// one writer at a time (the ledger's write lock), so ids grow in commit order.
    static func addMembershipFeed(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE membership_event (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                invitation_id TEXT NOT NULL,
                subject TEXT NOT NULL,
                project TEXT NOT NULL,
                role TEXT NOT NULL,
                accepted_at INTEGER NOT NULL,
                expires_at INTEGER,
                member_until INTEGER,
                created_account INTEGER NOT NULL
            );
            CREATE TABLE event_delivery (
                sink TEXT NOT NULL PRIMARY KEY,
                delivered_through INTEGER NOT NULL
            ) WITHOUT ROWID;
            """)
    }
}
