import GRDB

/// The embedded ledger: one SQLite file shared by every verifier process on a machine.
///
/// The file is in WAL mode with `synchronous=FULL`, so a redemption returns only after its
/// row is on disk. Each batch of redemptions runs in one `BEGIN IMMEDIATE` transaction: the
/// write lock is taken before the uses are counted, so processes redeeming the same invitation
/// at once are serialised and never exceed its uses. Concurrent redemptions within one process
/// share a transaction (group commit), and so one fsync. Any SQLite failure is reported as
/// `LedgerError.unavailable`, never as a grant.
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
            await Self.write(requests, to: database, path: path)
        }
    }

    public func redeem(_ request: RedemptionRequest) async throws(LedgerError) -> Redemption {
        try await commits.submit(request).get()
    }

    public func acceptances(project: String?) async throws(LedgerError) -> [Acceptance] {
        try await fetch { db in
            if let project {
                return try Row.fetchAll(db, sql: "SELECT * FROM acceptance WHERE project = ? ORDER BY accepted_at, rowid", arguments: [project])
                    .map(Self.acceptance)
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM acceptance ORDER BY accepted_at, rowid").map(Self.acceptance)
        }
    }

    public func acceptances(ofInvitation id: String) async throws(LedgerError) -> [Acceptance] {
        try await fetch { db in
            try Row.fetchAll(db, sql: "SELECT * FROM acceptance WHERE invitation_id = ? ORDER BY accepted_at, rowid", arguments: [id])
                .map(Self.acceptance)
        }
    }

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
    private static func write(_ requests: [RedemptionRequest], to database: DatabaseQueue, path: String) async -> [Result<Redemption, LedgerError>] {
        do {
            return try await database.writeWithoutTransaction { db in
                var outcomes: [Result<Redemption, LedgerError>] = []
                outcomes.reserveCapacity(requests.count)
                try db.inTransaction(.immediate) {
                    for request in requests { outcomes.append(try apply(request, in: db)) }
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

    private static func apply(_ request: RedemptionRequest, in db: Database) throws -> Result<Redemption, LedgerError> {
        let new = request.acceptance
        let taken = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM acceptance WHERE invitation_id = ?", arguments: [new.invitationID]) ?? 0
        if let row = try Row.fetchOne(db, sql: "SELECT * FROM acceptance WHERE invitation_id = ? AND subject = ?", arguments: [new.invitationID, new.subject]) {
            let earlier = acceptance(row)
            if request.isSignup { return .failure(.alreadySignedUp(earlier)) }
            return .success(Redemption(acceptance: earlier, isNew: false, usesTaken: taken))
        }
        if let limit = request.maximumUses, taken >= limit { return .failure(.usedUp(allowed: limit)) }
        try db.execute(
            sql: "INSERT INTO acceptance (invitation_id, subject, project, role, accepted_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [new.invitationID, new.subject, new.project, new.role, new.acceptedAt.seconds, new.expiresAt.map(storedExpiry)])
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
