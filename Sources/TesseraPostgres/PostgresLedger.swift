import Logging
import PostgresNIO
import TesseraCore

/// The shared ledger: one PostgreSQL database used by verifiers on several machines.
///
/// Each redemption is one transaction. It first creates or locks the invitation's row in
/// `tessera_invitation` (`INSERT … ON CONFLICT DO UPDATE … RETURNING uses_taken` takes the row
/// lock either way and reads the use count), so redemptions of one invitation are serialised
/// across every host while those of different invitations run in parallel; then it finds the
/// subject's earlier row, or inserts a new one and counts it, and commits. Only after `COMMIT`
/// returns is anything granted.
///
/// Connections come from a pool (`PostgresClient`). Every operation has a deadline: a database
/// that cannot be reached, or that fails, is reported as `LedgerError.unavailable` and never as
/// a grant. The pool reconnects by itself when the database is back. The password is never
/// logged or put in an error message.
public final class PostgresLedger: Ledger {
    /// Where the ledger is, with the password hidden.
    public let location: String
    private let client: PostgresClient
    private let runner: Task<Void, Never>
    private let deadline: Duration
    let namespace: String?
    private let logger = PostgresLedger.quiet
    /// Queries are not logged: their parameters hold subjects.
    static let quiet = Logger(label: "tessera.ledger.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Opens the ledger at `url` (`postgres://user:password@host:port/database?sslmode=…`), creating or migrating its schema.
    ///
    /// `deadline` bounds each operation, connecting included: past it the operation fails as
    /// unavailable. `namespace`, when given, is a PostgreSQL schema (created if missing) that holds
    /// the tables instead of the role's default one: several ledgers can then share a database.
    public static func open(url: String, namespace: String? = nil, deadline: Duration = defaultDeadline) async throws(LedgerError) -> PostgresLedger {
        var settings = try PostgresSettings(url: url)
        if let namespace {
            guard !namespace.isEmpty, namespace.utf8.allSatisfy({ $0 == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
                throw .unavailable("\(settings.redacted): namespace \"\(namespace)\" is not lowercase letters, digits and _")
            }
            settings.namespace = namespace
        }
        let ledger = PostgresLedger(settings: settings, deadline: deadline)
        do {
            try await ledger.prepareSchema()
        } catch {
            ledger.close()
            throw error
        }
        return ledger
    }

    /// Opens a ledger from a URL, as `LedgerLocation.open()` asks for one: the function a program registers with `LedgerLocation.registerPostgresOpener(_:)`.
    @Sendable public static func opener(url: String) async throws(LedgerError) -> any Ledger {
        try await open(url: url)
    }

    private init(settings: PostgresSettings, deadline: Duration) {
        location = settings.redacted
        self.deadline = deadline
        namespace = settings.namespace
        client = PostgresClient(configuration: settings.configuration(connectTimeout: min(deadline, Self.connectTimeout)), eventLoopGroup: Self.eventLoops)
        let client = client
        runner = Task { await client.run() }
    }

    deinit { runner.cancel() }

    /// The ledger's own event loop, for every PostgreSQL connection of the process.
    ///
    /// Not NIO's shared group: touching that one first would stop the gateway from sizing it.
    private static let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    /// Closes the pool's connections; later operations fail as unavailable.
    public func close() {
        runner.cancel()
    }

    /// Records the acceptance, or finds the earlier one, in one transaction; returns after COMMIT.
    public func redeem(_ request: RedemptionRequest) async throws(LedgerError) -> Redemption {
        let outcome: Result<Redemption, LedgerError> = try await perform { [logger] client in
            try await client.withTransaction(logger: logger) { connection in
                try await Self.apply(request, on: connection, logger: logger)
            }
        }
        // Here the transaction has committed (or, for a refusal, rolled nothing back that mattered).
        return try outcome.get()
    }

    /// Every acceptance, optionally of one project, oldest first (by invitation, then use, within a second).
    public func acceptances(project: String?) async throws(LedgerError) -> [Acceptance] {
        try await perform(listing: true) { [logger] client in
            let query: PostgresQuery
            if let project {
                query = "SELECT \(unescaped: Self.columns) FROM tessera_acceptance WHERE project = \(project) ORDER BY accepted_at, invitation_id, use_number"
            } else {
                query = "SELECT \(unescaped: Self.columns) FROM tessera_acceptance ORDER BY accepted_at, invitation_id, use_number"
            }
            return try await Self.rows(client.query(query, logger: logger))
        }
    }

    /// The acceptances of one invitation, in the order they took its uses.
    public func acceptances(ofInvitation id: String) async throws(LedgerError) -> [Acceptance] {
        try await perform(listing: true) { [logger] client in
            try await Self.rows(client.query(
                "SELECT \(unescaped: Self.columns) FROM tessera_acceptance WHERE invitation_id = \(id) ORDER BY use_number", logger: logger))
        }
    }

    /// Removes (or lists) the rows of invitations that expired before `cutoff`; their use counters go with them.
    public func prune(expiredBefore cutoff: Timestamp, dryRun: Bool) async throws(LedgerError) -> [String] {
        // Expiries are stored rounded up to whole seconds, so `< cutoff` becomes `< ceil(cutoff)`.
        let limit = Self.storedExpiry(cutoff)
        return try await perform(listing: true) { [logger] client in
            try await client.withTransaction(logger: logger) { connection in
                var ids: [String] = []
                let rows = try await connection.query(
                    "SELECT DISTINCT invitation_id FROM tessera_acceptance WHERE expires_at < \(limit) ORDER BY invitation_id", logger: logger)
                for try await id in rows.decode(String.self) { ids.append(id) }
                if !dryRun {
                    try await connection.query("DELETE FROM tessera_acceptance WHERE expires_at < \(limit)", logger: logger)
                    try await connection.query("DELETE FROM tessera_invitation WHERE expires_at < \(limit)", logger: logger)
                }
                return ids
            }
        }
    }

    // MARK: - Redemption

    private static let columns = "invitation_id, subject, project, role, accepted_at, expires_at"

    private static func apply(_ request: RedemptionRequest, on connection: PostgresConnection, logger: Logger) async throws -> Result<Redemption, LedgerError> {
        let new = request.acceptance
        let expiry = new.expiresAt.map(storedExpiry)
        // Creates the invitation's row or locks it, and reads its use count: until COMMIT, other
        // redemptions of this invitation, from any host, wait here.
        var taken = 0
        for try await count in try await connection.query("""
            INSERT INTO tessera_invitation (invitation_id, uses_taken, expires_at) VALUES (\(new.invitationID), 0, \(expiry))
            ON CONFLICT (invitation_id) DO UPDATE SET uses_taken = tessera_invitation.uses_taken
            RETURNING uses_taken
            """, logger: logger).decode(Int32.self) {
            taken = Int(count)
        }
        for try await row in try await connection.query(
            "SELECT \(unescaped: columns) FROM tessera_acceptance WHERE invitation_id = \(new.invitationID) AND subject = \(new.subject)",
            logger: logger
        ).decode((String, String, String, String, Int64, Int64?).self) {
            let earlier = acceptance(row)
            if request.isSignup { return .failure(.alreadySignedUp(earlier)) }
            return .success(Redemption(acceptance: earlier, isNew: false, usesTaken: taken))
        }
        if let limit = request.maximumUses, taken >= limit { return .failure(.usedUp(allowed: limit)) }
        // The row and the count together; the trigger `tessera_acceptance_uncounted` gives a use back when a row is deleted.
        try await connection.query("""
            WITH added AS (
                INSERT INTO tessera_acceptance (invitation_id, subject, project, role, accepted_at, expires_at, use_number)
                VALUES (\(new.invitationID), \(new.subject), \(new.project), \(new.role), \(new.acceptedAt.seconds), \(expiry), \(Int32(taken + 1)))
                RETURNING invitation_id
            )
            UPDATE tessera_invitation SET uses_taken = uses_taken + 1 WHERE invitation_id IN (SELECT invitation_id FROM added)
            """, logger: logger)
        return .success(Redemption(acceptance: new, isNew: true, usesTaken: taken + 1))
    }

    private static func rows(_ sequence: PostgresRowSequence) async throws -> [Acceptance] {
        var result: [Acceptance] = []
        for try await row in sequence.decode((String, String, String, String, Int64, Int64?).self) { result.append(acceptance(row)) }
        return result
    }

    private static func acceptance(_ row: (String, String, String, String, Int64, Int64?)) -> Acceptance {
        Acceptance(invitationID: row.0, subject: row.1, project: row.2, role: row.3,
                   acceptedAt: Timestamp(seconds: row.4), expiresAt: row.5.map { Timestamp(seconds: $0) })
    }

    /// An expiry as stored: whole seconds, rounded up so a row is never pruned before its invitation expires.
    static func storedExpiry(_ time: Timestamp) -> Int64 {
        time.nanoseconds > 0 ? time.seconds + 1 : time.seconds
    }

    // MARK: - Failing closed

    /// Runs `body` against the pool within the deadline; any failure, or the deadline passing, is `unavailable`.
    ///
    /// Listings may take longer than a redemption (`listingDeadline`): a large ledger takes time to read.
    func perform<T: Sendable>(listing: Bool = false, _ body: @escaping @Sendable (PostgresClient) async throws -> T) async throws(LedgerError) -> T {
        let client = client
        let limit = listing ? max(deadline, Self.listingDeadline) : deadline
        let result = await Deadline.race(limit) { try await body(client) }
        switch result {
        case .success(let value): return value
        case .failure(let error): throw Self.unavailable(error, location: location, deadline: limit)
        }
    }

    /// How long one connection attempt may take; the pool then tries again, until the operation's deadline.
    static let connectTimeout: Duration = .seconds(3)

    /// How long a redemption may take, waiting for a connection and for other redemptions of the same invitation included.
    public static let defaultDeadline: Duration = .seconds(10)

    /// The least time a listing (`acceptances`, `prune`) is given.
    static let listingDeadline: Duration = .seconds(60)

    static func unavailable(_ error: any Error, location: String, deadline: Duration) -> LedgerError {
        if let error = error as? LedgerError { return error }
        if error is Deadline.Passed { return .unavailable("\(location): no answer within \(deadline): is the database running and reachable?") }
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                let state = error.serverInfo?[.sqlState].map { " (\($0))" } ?? ""
                return .unavailable("\(location): \(message)\(state)")
            }
            if let underlying = error.underlying { return .unavailable("\(location): \(error.code): \(underlying)") }
            return .unavailable("\(location): \(error.code)")
        }
        return .unavailable("\(location): \(error)")
    }
}
