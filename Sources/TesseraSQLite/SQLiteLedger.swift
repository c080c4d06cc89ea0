import GRDB
import TesseraCore

/// The embedded ledger: one SQLite file shared by every verifier process on a machine.
///
/// The file is in WAL mode with `synchronous=FULL`, so a redemption returns only after its
/// row is on disk. A subject who already accepted is found by a plain read on one of the
/// pool's reader connections: no write lock, no transaction that writes, no fsync, so a
/// member's repeat requests never queue behind first uses. Only a first use is written. Each batch of redemptions runs in one `BEGIN IMMEDIATE` transaction: the
/// write lock is taken before the uses are counted, so processes redeeming the same invitation
/// at once are serialised and never exceed its uses. Concurrent redemptions within one process
/// share a transaction (group commit), and so one fsync. Any SQLite failure is reported as
/// `LedgerError.unavailable`, never as a grant.
///
/// A batch is written on the thread of the task that leads it, not on another one: a hop to a
/// writer thread and back costs more than the commit itself on a fast disk. That task's thread
/// is blocked for the commit (a fraction of a millisecond; up to `busyTimeout` while another
/// process holds the write lock).
public final class SQLiteLedger: Ledger, MembershipFeed {
    /// The database file.
    public let path: String
    /// Reads (repeat admissions, listings) on reader connections beside the writer.
    private let reader: any DatabaseReader
    /// The one writer connection; nil when opened `.readOnly`.
    let database: DatabasePool?
    private let commits: CommitQueue<RedemptionRequest, Result<Redemption, LedgerError>>

    /// Makes `sqlite:` locations openable (and initializable) in this process: each program that keeps a ledger calls it once at start-up.
    public static func register() {
        LedgerLocation.registerSQLite(
            opener: { path, access throws(LedgerError) in try SQLiteLedger(path: path, access: access) },
            initializer: { path throws(LedgerError) in try SQLiteLedger.initialize(path: path) },
            schemaVersion: schemaVersion
        )
    }

    /// How long a writer waits for another process's transaction before giving up.
    public static let busyTimeout: Double = 10

    /// Opens the ledger file at `path` for `access` (see `prepareSchema`): `.readWrite`, the default,
    /// creates a new file and its schema; `.readOnly` opens it read-only and writes nothing.
    public init(path: String, access: LedgerAccess = .readWrite) throws(LedgerError) {
        self.path = path
        do {
            if access == .readOnly {
                // Refused by SQLite if the file is missing, rather than created.
                let queue = try DatabaseQueue(path: path, configuration: Self.configuration(path: path, readOnly: true))
                try queue.read { db in try Self.prepareSchema(db, path: path, access: .readOnly) }
                reader = queue
                database = nil
            } else {
                if access == .readWrite { _ = try Self.createIfMissing(path: path) }
                let pool = try DatabasePool(path: path, configuration: Self.configuration(path: path))
                try pool.writeWithoutTransaction { db in
                    try Self.requireFullSync(db)
                    try Self.prepareSchema(db, path: path, access: access)
                }
                reader = pool
                database = pool
            }
        } catch {
            throw Self.unavailable(error, path: path)
        }
        let database = database
        let path = path
        commits = CommitQueue { requests in
            guard let database else { return Array(repeating: .failure(.unavailable("\(path): opened read-only")), count: requests.count) }
            return Self.write(requests, to: database, path: path)
        }
    }

    /// `tessera-verify ledger init`: creates the file and its schema, or migrates an older one.
    public static func initialize(path: String) throws(LedgerError) -> SchemaChange {
        do {
            if try createIfMissing(path: path) { return SchemaChange(before: 0, after: schemaVersion) }
            let pool = try DatabasePool(path: path, configuration: configuration(path: path))
            return try pool.writeWithoutTransaction { db in try prepareSchema(db, path: path, access: .initialize) }
        } catch {
            throw unavailable(error, path: path)
        }
    }

    /// The schema version of an existing file, read without writing: 0 when it has none.
    public static func storedSchemaVersion(path: String) throws(LedgerError) -> Int {
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration(path: path, readOnly: true))
            return try queue.read { db in try storedVersion(db, path: path) }
        } catch {
            throw unavailable(error, path: path)
        }
    }

    /// Grants a subject who already accepted by a read; records a first use in the next group commit, returning after COMMIT.
    public func redeem(_ request: RedemptionRequest) async throws(LedgerError) -> Redemption {
        // The read runs on this thread, as the commit does: a hop costs more than the lookup.
        let earlier = try Self.lookUp(request.acceptance, in: reader, path: path)
        if let (acceptance, taken) = earlier {
            if request.isSignup { throw .alreadySignedUp(acceptance) }
            return Redemption(acceptance: acceptance, isNew: false, usesTaken: taken)
        }
        return try await commits.submit(request).get()
    }

    /// `earlier(_:in:)` on a reader connection, on the calling thread (a synchronous read: no hop to GRDB's queue).
    private static func lookUp(_ new: Acceptance, in reader: any DatabaseReader, path: String) throws(LedgerError) -> (Acceptance, Int)? {
        do {
            return try reader.read { db in try earlier(new, in: db) }
        } catch {
            throw unavailable(error, path: path)
        }
    }

    /// The committed row of this subject for this invitation, and the invitation's uses taken.
    private static func earlier(_ new: Acceptance, in db: Database) throws -> (Acceptance, Int)? {
        let statement = try db.cachedStatement(sql: """
            SELECT a.*, i.uses_taken AS taken FROM acceptance a JOIN invitation i ON i.invitation_id = a.invitation_id
            WHERE a.invitation_id = ? AND a.subject = ?
            """)
        guard let row = try Row.fetchOne(statement, arguments: [new.invitationID, new.subject]) else { return nil }
        return (acceptance(row), row["taken"])
    }

    /// Every acceptance, optionally of one project, oldest first (by invitation, then use, within a second).
    public func acceptances(project: String?) async throws(LedgerError) -> [Acceptance] {
        try await fetch { db in
            if let project {
                return try Row.fetchAll(db, sql: "SELECT * FROM acceptance WHERE project = ? ORDER BY accepted_at, invitation_id, use_number", arguments: [project])
                    .map(Self.acceptance)
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM acceptance ORDER BY accepted_at, invitation_id, use_number").map(Self.acceptance)
        }
    }

    /// The acceptances of one invitation, in the order they took its uses.
    public func acceptances(ofInvitation id: String) async throws(LedgerError) -> [Acceptance] {
        try await fetch { db in
            try Row.fetchAll(db, sql: "SELECT * FROM acceptance WHERE invitation_id = ? ORDER BY use_number", arguments: [id])
                .map(Self.acceptance)
        }
    }

    /// Removes (or lists) the rows of invitations that expired before `cutoff`; the use counts go with them.
    public func prune(expiredBefore cutoff: Timestamp, dryRun: Bool) async throws(LedgerError) -> [String] {
        // Expiries are stored rounded up to whole seconds, so `< cutoff` becomes `< ceil(cutoff)`.
        let limit = cutoff.nanoseconds > 0 ? cutoff.seconds + 1 : cutoff.seconds
        guard let database else { throw .unavailable("\(path): opened read-only") }
        do {
            return try await database.writeWithoutTransaction { db in
                var ids: [String] = []
                try db.inTransaction(.immediate) {
                    ids = try String.fetchAll(db, sql: "SELECT DISTINCT invitation_id FROM acceptance WHERE expires_at < ? ORDER BY invitation_id", arguments: [limit])
                    if !dryRun { try db.execute(sql: "DELETE FROM acceptance WHERE expires_at < ?", arguments: [limit]) }
                    return .commit
                }
                return ids
            }
        } catch {
            throw Self.unavailable(error, path: path)
        }
    }

    /// Removes (or lists) the rows of memberships that ended before `cutoff`; their uses are given back.
    public func pruneEndedMemberships(before cutoff: Timestamp, dryRun: Bool) async throws(LedgerError) -> [Acceptance] {
        let limit = cutoff.nanoseconds > 0 ? cutoff.seconds + 1 : cutoff.seconds
        guard let database else { throw .unavailable("\(path): opened read-only") }
        do {
            return try await database.writeWithoutTransaction { db in
                var rows: [Acceptance] = []
                try db.inTransaction(.immediate) {
                    rows = try Row.fetchAll(db, sql: "SELECT * FROM acceptance WHERE member_until < ? ORDER BY accepted_at, invitation_id, use_number", arguments: [limit])
                        .map(Self.acceptance)
                    if !dryRun { try db.execute(sql: "DELETE FROM acceptance WHERE member_until < ?", arguments: [limit]) }
                    return .commit
                }
                return rows
            }
        } catch {
            throw Self.unavailable(error, path: path)
        }
    }

    // MARK: - The membership feed

    public func events(after id: Int64, limit: Int) async throws(LedgerError) -> [MembershipEvent] {
        try await fetch { db in
            try Row.fetchAll(db, sql: "SELECT * FROM membership_event WHERE id > ? ORDER BY id LIMIT ?", arguments: [id, limit]).map { row in
                let expires: Int64? = row["expires_at"]
                let memberUntil: Int64? = row["member_until"]
                let acceptance = Acceptance(invitationID: row["invitation_id"], subject: row["subject"], project: row["project"], role: row["role"],
                                            acceptedAt: Timestamp(seconds: row["accepted_at"]), expiresAt: expires.map { Timestamp(seconds: $0) },
                                            memberUntil: memberUntil.map { Timestamp(seconds: $0) })
                return MembershipEvent(id: row["id"], acceptance: acceptance, createdAccount: row["created_account"])
            }
        }
    }

    public func latestEventID() async throws(LedgerError) -> Int64 {
        try await fetch { db in try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) FROM membership_event") ?? 0 }
    }

    public func eventCount(after id: Int64) async throws(LedgerError) -> Int {
        try await fetch { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM membership_event WHERE id > ?", arguments: [id]) ?? 0 }
    }

    public func deliveredThrough(_ sink: String) async throws(LedgerError) -> Int64? {
        try await fetch { db in try Int64.fetchOne(db, sql: "SELECT delivered_through FROM event_delivery WHERE sink = ?", arguments: [sink]) }
    }

    public func markDelivered(_ sink: String, through id: Int64) async throws(LedgerError) {
        guard let database else { throw .unavailable("\(path): opened read-only") }
        do {
            try await database.write { db in
                try db.execute(sql: """
                    INSERT INTO event_delivery (sink, delivered_through) VALUES (?, ?)
                    ON CONFLICT (sink) DO UPDATE SET delivered_through = MAX(delivered_through, excluded.delivered_through)
                    """, arguments: [sink, id])
            }
        } catch {
            throw Self.unavailable(error, path: path)
        }
    }

    public func pruneEvents(acceptedBefore cutoff: Timestamp, dryRun: Bool) async throws(LedgerError) -> EventPruning {
        guard let database else { throw .unavailable("\(path): opened read-only") }
        do {
            // Read once: marks only move forward, so a later sink mark can only allow more than this one.
            // No sink at all: nothing awaits the events (`members --follow` starts at the newest).
            let (through, counts) = try await database.read { db in
                let through = try Int64.fetchOne(db, sql: "SELECT MIN(delivered_through) FROM event_delivery") ?? Int64.max
                let old = "FROM membership_event WHERE accepted_at < ?"
                let removable = try Int.fetchOne(db, sql: "SELECT COUNT(*) \(old) AND id <= ?", arguments: [cutoff.seconds, through]) ?? 0
                let held = try Int.fetchOne(db, sql: "SELECT COUNT(*) \(old) AND id > ?", arguments: [cutoff.seconds, through]) ?? 0
                let newestHeld = try Int64.fetchOne(db, sql: "SELECT MAX(id) \(old)", arguments: [cutoff.seconds]) ?? 0
                let waiting = try Row.fetchAll(db, sql: "SELECT sink, delivered_through FROM event_delivery WHERE delivered_through < ? ORDER BY delivered_through, sink",
                                               arguments: [newestHeld]).map { EventPruning.Mark(sink: $0["sink"], deliveredThrough: $0["delivered_through"]) }
                return (through, EventPruning(removed: removable, undelivered: held, waitingFor: held > 0 ? waiting : []))
            }
            guard !dryRun else { return counts }
            // In batches, oldest first (ids grow with time), each its own short transaction.
            var removed = 0
            while true {
                let deleted = try await database.write { db in
                    try db.execute(sql: """
                        DELETE FROM membership_event WHERE id IN (
                            SELECT id FROM membership_event WHERE accepted_at < ? AND id <= ? ORDER BY id LIMIT ?)
                        """, arguments: [cutoff.seconds, through, EventPruning.batch])
                    return db.changesCount
                }
                removed += deleted
                if deleted < EventPruning.batch { break }
            }
            return EventPruning(removed: removed, undelivered: counts.undelivered, waitingFor: counts.waitingFor)
        } catch {
            throw Self.unavailable(error, path: path)
        }
    }

    private func fetch<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(LedgerError) -> T {
        do {
            return try await reader.read(body)
        } catch {
            throw Self.unavailable(error, path: path)
        }
    }

    /// Applies a batch in one transaction, in order: later requests see the rows of earlier ones.
    ///
    /// It runs on the calling thread: a lone redemption then costs its commit and no thread hop.
    private static func write(_ requests: [RedemptionRequest], to database: DatabasePool, path: String) -> [Result<Redemption, LedgerError>] {
        do {
            return try database.writeWithoutTransaction { db in
                var outcomes: [Result<Redemption, LedgerError>] = []
                outcomes.reserveCapacity(requests.count)
                try db.inTransaction(.immediate) {
                    let statements = try Statements(db)
                    for request in requests { outcomes.append(try apply(request, in: db, with: statements)) }
                    return .commit
                }
                // Only here, after COMMIT returned, is any of these a grant.
                return outcomes
            }
        } catch {
            let failure = unavailable(error, path: path)
            return Array(repeating: .failure(failure), count: requests.count)
        }
    }

    /// The statements of a redemption, looked up once per batch.
    private struct Statements {
        let usesTaken: Statement
        let earlier: Statement
        let insert: Statement
        let event: Statement

        init(_ db: Database) throws {
            event = try db.cachedStatement(sql: """
                INSERT INTO membership_event (invitation_id, subject, project, role, accepted_at, expires_at, member_until, created_account)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
            usesTaken = try db.cachedStatement(sql: "SELECT uses_taken FROM invitation WHERE invitation_id = ?")
            earlier = try db.cachedStatement(sql: "SELECT * FROM acceptance WHERE invitation_id = ? AND subject = ?")
            // A subject seen before is found by the insert itself (no change), which saves a lookup on
            // the common path. The trigger `acceptance_counted` adds one to the invitation's `uses_taken`.
            insert = try db.cachedStatement(sql: """
                INSERT INTO acceptance (invitation_id, subject, project, role, accepted_at, expires_at, use_number, member_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (invitation_id, subject) DO NOTHING
                """)
        }
    }

    private static func apply(_ request: RedemptionRequest, in db: Database, with statements: Statements) throws -> Result<Redemption, LedgerError> {
        let new = request.acceptance
        let taken = try Int.fetchOne(statements.usesTaken, arguments: [new.invitationID]) ?? 0
        func again() throws -> Result<Redemption, LedgerError>? {
            guard let row = try Row.fetchOne(statements.earlier, arguments: [new.invitationID, new.subject]) else { return nil }
            let earlier = acceptance(row)
            if request.isSignup { return .failure(.alreadySignedUp(earlier)) }
            return .success(Redemption(acceptance: earlier, isNew: false, usesTaken: taken))
        }
        if let limit = request.maximumUses, taken >= limit {
            // No use left, but a subject who already accepted is still granted.
            return try again() ?? .failure(.usedUp(allowed: limit))
        }
        try statements.insert.execute(arguments: [
            new.invitationID, new.subject, new.project, new.role, new.acceptedAt.seconds, new.expiresAt.map(storedExpiry), taken + 1,
            new.memberUntil.map(storedExpiry),
        ])
        if db.changesCount == 0, let earlier = try again() { return earlier }
        // The feed's event, in the same transaction as the row: committed together or not at all.
        try statements.event.execute(arguments: [
            new.invitationID, new.subject, new.project, new.role, new.acceptedAt.seconds, new.expiresAt.map(storedExpiry),
            new.memberUntil.map(storedExpiry), request.isSignup,
        ])
        return .success(Redemption(acceptance: new, isNew: true, usesTaken: taken + 1))
    }

    /// An expiry as stored: whole seconds, rounded up so a row is never pruned before its invitation expires.
    static func storedExpiry(_ time: Timestamp) -> Int64 {
        time.nanoseconds > 0 ? time.seconds + 1 : time.seconds
    }

    private static func acceptance(_ row: Row) -> Acceptance {
        let expires: Int64? = row["expires_at"]
        let memberUntil: Int64? = row["member_until"]
        return Acceptance(invitationID: row["invitation_id"], subject: row["subject"], project: row["project"], role: row["role"],
                          acceptedAt: Timestamp(seconds: row["accepted_at"]), expiresAt: expires.map { Timestamp(seconds: $0) },
                          memberUntil: memberUntil.map { Timestamp(seconds: $0) })
    }

    static func unavailable(_ error: any Error, path: String) -> LedgerError {
        if let error = error as? LedgerError { return error }
        if let error = error as? DatabaseError {
            let message = error.message ?? "sqlite error \(error.resultCode.rawValue)"
            return .unavailable("\(path): \(message)")
        }
        return .unavailable("\(path): \(error)")
    }
}
