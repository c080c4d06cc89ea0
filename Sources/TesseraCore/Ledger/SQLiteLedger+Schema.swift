import GRDB

extension SQLiteLedger {
    /// The schema this build writes, kept in `PRAGMA user_version` so a later build can migrate the file.
    public static let schemaVersion = 1

    /// Marks the file as a Tessera ledger (`PRAGMA application_id`, "TSRA"), so another program's database is never taken for one.
    static let applicationID: Int32 = 0x5453_5241

    static func configuration(path: String) -> Configuration {
        var configuration = Configuration()
        configuration.label = "tessera.ledger"
        // Another process may hold the write lock for a commit; wait for it rather than fail.
        configuration.busyMode = .timeout(busyTimeout)
        configuration.prepareDatabase { db in
            try enableWriteAheadLog(db, path: path)
            // In WAL mode, NORMAL may lose the last commits on power loss; a grant must survive it.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        return configuration
    }

    /// WAL lets readers (`members`, `list`) run beside writers; the mode is stored in the file, so only the first open sets it.
    private static func enableWriteAheadLog(_ db: Database, path: String) throws {
        if try String.fetchOne(db, sql: "PRAGMA journal_mode") == "wal" { return }
        let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
        guard mode == "wal" else {
            throw LedgerError.unavailable("\(path): cannot switch to write-ahead logging (journal mode stays \(mode ?? "unknown"))")
        }
    }

    /// Creates the tables of a new file, or migrates an older one, inside one immediate transaction so that concurrent first opens agree.
    static func prepareSchema(_ db: Database, path: String) throws {
        if try Int.fetchOne(db, sql: "PRAGMA user_version") == schemaVersion {
            try checkApplicationID(db, path: path)
            return
        }
        try db.inTransaction(.immediate) {
            try checkApplicationID(db, path: path)
            let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
            if version > schemaVersion {
                throw LedgerError.unavailable("\(path): written by a newer tessera (schema \(version); this one knows \(schemaVersion))")
            }
            if version < 1 {
                let tables = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'") ?? 0
                guard tables == 0 else {
                    throw LedgerError.unavailable("\(path): an SQLite database that is not a tessera ledger")
                }
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
            // Later schema versions add their steps here: `if version < 2 { … }`.
            try db.execute(sql: "PRAGMA application_id = \(applicationID)")
            try db.execute(sql: "PRAGMA user_version = \(schemaVersion)")
            return .commit
        }
    }

    private static func checkApplicationID(_ db: Database, path: String) throws {
        let id = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
        guard id == 0 || id == applicationID else {
            throw LedgerError.unavailable("\(path): an SQLite database of another program (application id \(id))")
        }
    }
}
