import GRDB

/// The embedded ledger: one SQLite file shared by every verifier process on a machine.
///
/// The file is in WAL mode with `synchronous=FULL`, so a redemption returns only after its
/// row is on disk. Each batch of redemptions runs in one `BEGIN IMMEDIATE` transaction: the
/// write lock is taken before the uses are counted, so processes redeeming the same invitation
/// at once are serialised and never exceed its uses. Concurrent redemptions within one process
/// share a transaction (group commit), and so one fsync. Any SQLite failure is reported as
/// `LedgerError.unavailable`, never as a grant.
///
/// A batch is written on the thread of the task that leads it, not on another one: a hop to a
/// writer thread and back costs more than the commit itself on a fast disk. That task's thread
/// is blocked for the commit (a fraction of a millisecond; up to `busyTimeout` while another
/// process holds the write lock).
public final class SQLiteLedger: Ledger {
    /// The database file.
    public let path: String
    private let database: DatabaseQueue
    private let commits: CommitQueue<RedemptionRequest, Result<Redemption, LedgerError>>

    /// How long a writer waits for another process's transaction before giving up.
    public static let busyTimeout: Double = 10

    /// Opens (creating if needed) the ledger file at `path` and brings its schema up to date.
    public init(path: String) throws(LedgerError) {
        self.path = path
        do {
            database = try DatabaseQueue(path: path, configuration: Self.configuration(path: path))
            try database.writeWithoutTransaction { db in try Self.prepareSchema(db, path: path) }
        } catch {
            throw Self.unavailable(error, path: path)
        }
        let database = database
        let path = path
        commits = CommitQueue { requests in
            Self.write(requests, to: database, path: path)
        }
    }

    /// Records the acceptance, or finds the earlier one, in the next group commit; returns after COMMIT.
    public func redeem(_ request: RedemptionRequest) async throws(LedgerError) -> Redemption {
        try await commits.submit(request).get()
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

    private func fetch<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(LedgerError) -> T {
        do {
            return try await database.read(body)
        } catch {
            throw Self.unavailable(error, path: path)
        }
    }

    /// Applies a batch in one transaction, in order: later requests see the rows of earlier ones.
    ///
    /// It runs on the calling thread: a lone redemption then costs its commit and no thread hop.
    private static func write(_ requests: [RedemptionRequest], to database: DatabaseQueue, path: String) -> [Result<Redemption, LedgerError>] {
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

        init(_ db: Database) throws {
            usesTaken = try db.cachedStatement(sql: "SELECT uses_taken FROM invitation WHERE invitation_id = ?")
            earlier = try db.cachedStatement(sql: "SELECT * FROM acceptance WHERE invitation_id = ? AND subject = ?")
            // A subject seen before is found by the insert itself (no change), which saves a lookup on
            // the common path. The trigger `acceptance_counted` adds one to the invitation's `uses_taken`.
            insert = try db.cachedStatement(sql: """
                INSERT INTO acceptance (invitation_id, subject, project, role, accepted_at, expires_at, use_number) VALUES (?, ?, ?, ?, ?, ?, ?)
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
        ])
        if db.changesCount == 0, let earlier = try again() { return earlier }
        return .success(Redemption(acceptance: new, isNew: true, usesTaken: taken + 1))
    }

    /// An expiry as stored: whole seconds, rounded up so a row is never pruned before its invitation expires.
    static func storedExpiry(_ time: Timestamp) -> Int64 {
        time.nanoseconds > 0 ? time.seconds + 1 : time.seconds
    }

    private static func acceptance(_ row: Row) -> Acceptance {
        let expires: Int64? = row["expires_at"]
        return Acceptance(invitationID: row["invitation_id"], subject: row["subject"], project: row["project"], role: row["role"],
                          acceptedAt: Timestamp(seconds: row["accepted_at"]), expiresAt: expires.map { Timestamp(seconds: $0) })
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
