import Logging
import PostgresNIO
import Synchronization
import struct Foundation.UUID
import TesseraCore

/// The shared ledger: one PostgreSQL database used by verifiers on several machines.
///
/// A subject who already accepted is found by a plain `SELECT` (autocommit, no row lock, no
/// transaction id, nothing written, no WAL flush): a member's repeat requests, from any number
/// of gateways, run in parallel. Only a first use writes: one statement, committed by itself,
/// that locks the invitation's row in `tessera_invitation` and takes a use if one is left
/// (`INSERT … ON CONFLICT DO UPDATE … WHERE uses_taken < limit`), inserts the subject's row and
/// its join event. Redemptions of one invitation are serialised across every host by that row
/// lock; those of different invitations run in parallel. Only after the statement's answer
/// arrives is anything granted. A first use costs two round trips: the read that missed, and
/// the statement.
///
/// Both go in batches (`BatchQueue`): reads that arrive while `lanes` others are in flight wait
/// and leave together in one `SELECT`, and so do first uses of distinct invitations in one
/// statement (`FirstUseBatches`), one commit for all of them. A lone request leaves at once; under
/// load, a round trip and a commit are shared by many.
///
/// **The answer is what was committed.** The statement also records a random id of the attempt
/// (one per batch) in `tessera_attempt`. If its answer never arrives (the connection drops, the deadline
/// passes), the ledger inserts the same id on another connection: if it is already there, the
/// use committed and is granted; if not, it now never can commit (the key is unique), and
/// "nothing granted" is final. So a grant is never reported as a failure, and a retried `uid`
/// signup never meets its own first attempt as "already created".
///
/// Connections come from a pool (`PostgresClient`). Every operation has a deadline: a database
/// that cannot be reached, or that fails, is reported as `LedgerError.unavailable` and never as
/// a grant. The pool reconnects by itself when the database is back. The password is never
/// logged or put in an error message.
public final class PostgresLedger: Ledger, MembershipFeed {
    /// Where the ledger is, with the password hidden.
    public var location: String { settings.redacted }
    let client: PostgresClient
    /// The connections that write first uses (the lanes', and those of first uses waiting for a row held
    /// elsewhere), each waiting at most `PostgresSettings.writerLockTimeout` for a lock at a time.
    private let writer: PostgresClient
    private let writerRunner: Task<Void, Never>
    /// First uses waiting for, or in, a statement.
    let batches: FirstUseBatches
    /// Reads of subjects waiting for, or in, a statement.
    private let reads: ReadBatches
    private let runner: Task<Void, Never>
    private let deadline: Duration
    var namespace: String? { settings.namespace }
    /// Where and how to connect: the pool, and the resolution of a first use's lost answer, which connects on its own.
    private let settings: PostgresSettings
    private let logger = PostgresLedger.quiet
    /// Queries are not logged: their parameters hold subjects.
    static let quiet = Logger(label: "tessera.ledger.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Opens the ledger at `url` (`postgres://user:password@host:port/database?sslmode=…`).
    ///
    /// With `.initialize` the schema is created or migrated; otherwise it must already be at
    /// `schemaVersion` (`schemaNotReady` if it is missing or older) and nothing is written.
    /// `deadline` bounds each operation, connecting included: past it the operation fails as
    /// unavailable. `namespace`, when given, is a PostgreSQL schema that holds the tables instead
    /// of the role's default one: several ledgers can then share a database. `lanes` bounds the
    /// statements in flight at once, of reads and of first uses each (`BatchQueue`).
    public static func open(url: String, namespace: String? = nil, deadline: Duration = defaultDeadline,
                            access: LedgerAccess = .readWrite, lanes: Int = defaultLanes) async throws(LedgerError) -> PostgresLedger {
        let ledger = try PostgresLedger(url: url, namespace: namespace, deadline: deadline, lanes: lanes)
        do {
            if access == .initialize {
                _ = try await ledger.initializeSchema()
            } else {
                try await ledger.requireCurrentSchema()
            }
        } catch {
            ledger.close()
            throw error
        }
        return ledger
    }

    /// `tessera-verify ledger init`: creates or migrates the schema; returns the versions before and after.
    public static func initialize(url: String, namespace: String? = nil, deadline: Duration = defaultDeadline) async throws(LedgerError) -> SchemaChange {
        let ledger = try PostgresLedger(url: url, namespace: namespace, deadline: deadline)
        defer { ledger.close() }
        return try await ledger.initializeSchema()
    }

    /// The schema version in the database, read without writing: 0 when there is none.
    public static func storedSchemaVersion(url: String, namespace: String? = nil, deadline: Duration = defaultDeadline) async throws(LedgerError) -> Int {
        let ledger = try PostgresLedger(url: url, namespace: namespace, deadline: deadline)
        defer { ledger.close() }
        return try await ledger.storedVersion()
    }

    /// Opens a ledger from a URL, as `LedgerLocation` asks for one: what `tessera-verify` registers with `LedgerLocation.registerPostgres`.
    @Sendable public static func opener(url: String, access: LedgerAccess) async throws(LedgerError) -> any Ledger {
        try await open(url: url, access: access)
    }

    /// Creates or migrates the schema at `url`: what `tessera-verify` registers for `ledger init`.
    @Sendable public static func initializer(url: String) async throws(LedgerError) -> SchemaChange {
        try await initialize(url: url)
    }

    private convenience init(url: String, namespace: String?, deadline: Duration, lanes: Int = defaultLanes) throws(LedgerError) {
        var settings = try PostgresSettings(url: url)
        if let namespace {
            guard PostgresSettings.isPlainName(namespace) else {
                throw .unavailable("\(settings.redacted): namespace \"\(namespace)\" is not lowercase letters, digits and _")
            }
            settings.namespace = namespace
        }
        self.init(settings: settings, deadline: deadline, lanes: lanes)
    }

    private init(settings: PostgresSettings, deadline: Duration, lanes: Int) {
        self.settings = settings
        self.deadline = deadline
        client = PostgresClient(configuration: settings.configuration(connectTimeout: min(deadline, Self.connectTimeout)), eventLoopGroup: Self.eventLoops)
        writer = PostgresClient(configuration: settings.configuration(connectTimeout: min(deadline, Self.connectTimeout),
                                                                      lockTimeout: PostgresSettings.writerLockTimeout),
                                eventLoopGroup: Self.eventLoops)
        let client = client, writer = writer
        batches = FirstUseBatches(client: writer, lanes: lanes, deadline: deadline, location: settings.redacted, logger: Self.quiet)
        reads = ReadBatches(client: client, lanes: lanes, deadline: deadline, logger: Self.quiet)
        runner = Task { await client.run() }
        writerRunner = Task { await writer.run() }
    }

    deinit {
        runner.cancel()
        writerRunner.cancel()
    }

    /// The ledger's own event loop, for every PostgreSQL connection of the process.
    ///
    /// Not NIO's shared group: touching that one first would stop the gateway from sizing it.
    static let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    /// Closes the pool's connections; later operations fail as unavailable.
    public func close() {
        runner.cancel()
        writerRunner.cancel()
    }

    /// Grants a subject who already accepted by a plain read; records a first use in one statement, returning after it committed.
    public func redeem(_ request: RedemptionRequest) async throws(LedgerError) -> Redemption {
        let new = request.acceptance
        let earlier = try await perform { [reads] _ in try await reads.earlier(invitationID: new.invitationID, subject: new.subject) }
        if let (acceptance, taken) = earlier {
            if request.isSignup { throw .alreadySignedUp(acceptance) }
            return Redemption(acceptance: acceptance, isNew: false, usesTaken: taken)
        }
        return try await write(request)
    }

    /// Writes a first use, in a batch with others that wait meanwhile (`FirstUseBatches`); if its answer is lost, finds out what became of it.
    private func write(_ request: RedemptionRequest) async throws(LedgerError) -> Redemption {
        let sending = Sending()
        let result = await Deadline.race(deadline) { [batches] in try await batches.submit(request, sending: sending) }
        switch result {
        case .success(let outcome):
            return try outcome.get()
        case .failure(let error):
            // Never sent (and now never will be), refused by the server (the statement's transaction rolled back), or a
            // ledger error of `apply` after its statement ended: nothing that follows is unknown. A cancel or a
            // termination (57…) is not such a refusal: it may come while COMMIT waits for a standby, once it is local.
            guard let statement = sending.abandon(), !Self.rolledBack(error), !(error is LedgerError) else {
                throw Self.unavailable(error, location: location, deadline: deadline)
            }
            return try await resolve(statement, request, after: error)
        }
    }

    /// What a first use whose answer was lost has become, asked until `deadline` on another connection.
    ///
    /// The statement also inserts its attempt's random id into `tessera_attempt`, whose key is
    /// unique. Here the same id is inserted, `ON CONFLICT DO NOTHING`:
    /// - inserted: the statement had not committed, and now never will (its own insert of the
    ///   id would fail), so "nothing granted" is final, even for a statement still on its way to
    ///   the server or waiting there for a lock;
    /// - already there: the statement committed (PostgreSQL waits for it to end if it is still
    ///   running), and its row is the grant; unless the id there is marked `fence`, put there by
    ///   an earlier try of this very question whose answer was lost.
    ///
    /// Each try opens a connection of its own rather than asking the pool: right after a leased
    /// connection was cut, PostgresNIO's pool (1.33) sometimes never served the next request (one
    /// try in ten in `CommitAmbiguityTests`, a full minute each), and each try is bounded on its own,
    /// so one that hangs is given up and made again while the deadline lasts.
    ///
    /// The first uses of one statement share its attempt id, and the question is asked once for
    /// all of them (`SentStatement`), on one connection: a database that drops a statement of 64
    /// first uses is asked once, not by 64 new connections at the same moment.
    func resolve(_ statement: SentStatement, _ request: RedemptionRequest, after error: any Error) async throws(LedgerError) -> Redemption {
        let new = request.acceptance
        let fates = await statement.fates { [self] in await self.ask(statement, after: error) }
        switch fates {
        case .success(let fates):
            switch fates[new.invitationID] ?? .committedRowGone {
            case .committed(let use):
                return Redemption(acceptance: new, isNew: true, usesTaken: Int(use))
            case .fenced:
                throw .unavailable("\(location): the answer to the first use was lost, and it had not committed (now it never will); nothing was granted")
            case .committedRowGone:
                throw .unavailable("\(location): the first use's statement committed without this subject's row (no use was left, or the row has been deleted since); nothing was granted")
            }
        case .failure(let failure):
            throw failure
        }
    }

    /// `resolve` of a statement that carried `request` alone, under `attempt`: for tests.
    func resolve(attempt: UUID, _ request: RedemptionRequest, after error: any Error) async throws(LedgerError) -> Redemption {
        try await resolve(SentStatement(attempt: attempt, requests: [request]), request, after: error)
    }

    /// What became of each first use of `statement`, by invitation (one first use each), asked until `deadline`.
    private func ask(_ statement: SentStatement, after error: any Error) async -> Result<[String: SentStatement.Fate], LedgerError> {
        let start = ContinuousClock.now
        let attempt = statement.attempt
        let invitations = statement.requests.map(\.acceptance.invitationID), subjects = statement.requests.map(\.acceptance.subject)
        let created = statement.requests.map(\.acceptance.acceptedAt.seconds).max() ?? Timestamp.now.seconds
        var lastProblem = Self.unavailable(error, location: location, deadline: deadline).failure ?? "\(error)"
        while ContinuousClock.now - start < deadline {
            let remaining = deadline - (ContinuousClock.now - start)
            let limit = min(remaining, Self.resolutionTryLimit)
            let found = await Deadline.race(limit) { [settings, logger] in
                try await Self.withLoneConnection(settings, logger: logger) { connection -> [String: SentStatement.Fate] in
                    let fenced = invitations.reduce(into: [String: SentStatement.Fate]()) { $0[$1] = .fenced }
                    var inserted = false
                    for try await value in try await connection.query("""
                        INSERT INTO tessera_attempt (nonce, created_at, fence) VALUES (\(attempt), \(created), true)
                        ON CONFLICT (nonce) DO NOTHING RETURNING true
                        """, logger: logger).decode(Bool.self) {
                        inserted = value
                    }
                    if inserted { return fenced }
                    // Already there: the statement's own id, or this fence from an earlier try whose answer was lost.
                    var isFence: Bool?
                    for try await value in try await connection.query("SELECT fence FROM tessera_attempt WHERE nonce = \(attempt)",
                                                                      logger: logger).decode(Bool.self) {
                        isFence = value
                    }
                    if isFence != false { return fenced }
                    var fates = invitations.reduce(into: [String: SentStatement.Fate]()) { $0[$1] = .committedRowGone }
                    for try await (invitation, use) in try await connection.query("""
                        SELECT a.invitation_id, a.use_number FROM unnest(\(invitations)::text[], \(subjects)::text[]) AS r(invitation_id, subject)
                        JOIN tessera_acceptance a ON a.invitation_id = r.invitation_id AND a.subject = r.subject
                        """, logger: logger).decode((String, Int32).self) {
                        fates[invitation] = .committed(use: use)
                    }
                    return fates
                }
            }
            switch found {
            case .success(let fates):
                return .success(fates)
            case .failure(let problem):
                lastProblem = Self.unavailable(problem, location: location, deadline: limit).failure ?? "\(problem)"
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        return .failure(.unavailable("\(lastProblem) (the answer to the first use was lost and the database could not be asked what became of it within \(deadline); nothing was granted, but the row may exist: the same subject again will be granted without a new use)"))
    }

    /// How long one try of `resolve` may take before it is given up and made again.
    static let resolutionTryLimit: Duration = .seconds(5)

    /// Runs `body` on a new connection, outside the pool, and closes it.
    private static func withLoneConnection<T: Sendable>(_ settings: PostgresSettings, logger: Logger,
                                                        _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await PostgresConnection.connect(on: eventLoops.next(), configuration: settings.connectionConfiguration(connectTimeout: connectTimeout),
                                                              id: 0, logger: logger).get()
        do {
            let result = try await body(connection)
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
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
    ///
    /// Also removes the ids of first uses older than `attemptRetention` (not listed: they grant nothing).
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
                    // The ids of first uses whose answers can no longer be looked for (schema 5).
                    try await connection.query("DELETE FROM tessera_attempt WHERE created_at < \(Timestamp.now.seconds - Self.attemptRetention)", logger: logger)
                }
                return ids
            }
        }
    }

    /// Removes (or lists) the rows of memberships that ended before `cutoff`; their uses are given back (trigger).
    public func pruneEndedMemberships(before cutoff: Timestamp, dryRun: Bool) async throws(LedgerError) -> [Acceptance] {
        let limit = Self.storedExpiry(cutoff)
        return try await perform(listing: true) { [logger] client in
            try await client.withTransaction(logger: logger) { connection in
                let rows = try await Self.rows(connection.query(
                    "SELECT \(unescaped: Self.columns) FROM tessera_acceptance WHERE member_until < \(limit) ORDER BY accepted_at, invitation_id, use_number FOR UPDATE",
                    logger: logger))
                if !dryRun { try await connection.query("DELETE FROM tessera_acceptance WHERE member_until < \(limit)", logger: logger) }
                return rows
            }
        }
    }

    // MARK: - Redemption

    private static let columns = "invitation_id, subject, project, role, accepted_at, expires_at, member_until"

    /// The first row of a prepared statement's answer, reading the answer to its end.
    static func first<Row>(_ rows: AsyncThrowingMapSequence<PostgresRowSequence, Row>) async throws -> Row? {
        var found: Row?
        for try await row in rows where found == nil { found = row }
        return found
    }

    /// Takes the uses and inserts the rows of a batch of first uses (of distinct invitations) in one
    /// statement, which commits by itself (autocommit); `attempt` marks it for `resolve`. One
    /// outcome per request, in order.
    ///
    /// Throws `BatchRolledBack` when the server refused the statement of a batch of several: the
    /// caller tries each again alone.
    static func apply(_ requests: [RedemptionRequest], attempt: UUID, on connection: PostgresConnection, logger: Logger, location: String) async throws
        -> [Result<Redemption, LedgerError>] {
        var outcomes = [Result<Redemption, LedgerError>?](repeating: nil, count: requests.count)
        var sent: [Int] = []
        for (index, request) in requests.enumerated() {
            if let limit = request.maximumUses, limit <= 0 { outcomes[index] = .failure(.usedUp(allowed: limit)) } else { sent.append(index) }
        }
        var rows: [FirstUse.Row] = []
        if !sent.isEmpty {
            do {
                for try await row in try await connection.execute(FirstUse(requests: sent.map { requests[$0] }, attempt: attempt), logger: logger) {
                    rows.append(row)
                }
            } catch let error as PSQLError where rolledBack(error) {
                // The server refused the statement: its transaction rolled back, nothing of it is left.
                guard sent.count == 1 else { throw BatchRolledBack(refusal: error) }
                guard error.serverInfo?[.sqlState] == useGivenBack else { throw error }
                rows = [(slot: 1, use: nil, locked: true)]
            }
        }
        guard rows.map({ Int($0.slot) }) == sent.indices.map({ $0 + 1 }) else {
            // The statement may have committed: not a ledger error, so that each caller asks what became of it (`resolve`).
            throw UnexpectedAnswer(rows: rows.count, requests: sent.count)
        }
        for (index, row) in zip(sent, rows) {
            let request = requests[index], new = request.acceptance
            if let use = row.use {
                outcomes[index] = .success(Redemption(acceptance: new, isNew: true, usesTaken: Int(use)))
                continue
            }
            // No row added: the subject was committed since the first read, or no use is left. A new
            // statement sees what committed meanwhile (READ COMMITTED). The statement has committed:
            // if this read fails, it fails this request alone (the statement gave it nothing), never
            // the others, whose uses are taken.
            let earlier: (Int, Acceptance, Int)?
            do {
                earlier = try await first(connection.execute(EarlierRead([(new.invitationID, new.subject)]), logger: logger))
            } catch {
                outcomes[index] = .failure(unavailable(error, location: location, deadline: .zero))
                continue
            }
            if let (_, found, taken) = earlier {
                outcomes[index] = request.isSignup ? .failure(.alreadySignedUp(found)) : .success(Redemption(acceptance: found, isNew: false, usesTaken: taken))
            } else if !row.locked, let limit = request.maximumUses {
                outcomes[index] = .failure(.usedUp(allowed: limit))
            } else {
                outcomes[index] = .failure(.unavailable("the invitation's use was counted but its row was not added"))
            }
        }
        return outcomes.map { $0 ?? .failure(.unavailable("no outcome")) }
    }

    /// The first uses' statement answered rows that do not match its requests.
    struct UnexpectedAnswer: Error, CustomStringConvertible {
        let rows: Int, requests: Int
        var description: String { "the first uses' statement answered \(rows) rows for \(requests) requests" }
    }

    /// The server refused the statement of a batch of several first uses, so none of them was
    /// written: one of its subjects was committed meanwhile by another gateway
    /// (`tessera_use_given_back()`), or one request holds what the database refuses. Each is then
    /// written alone, so one first use never fails another.
    struct BatchRolledBack: Error {
        let refusal: PSQLError
    }

    /// The SQLSTATE `tessera_use_given_back()` raises (schema 5).
    static let useGivenBack = "TS001"

    /// Whether the server's answer says the statement's transaction rolled back, so that nothing of it is left.
    ///
    /// Not a cancel or a termination (`57…`: operator intervention, `statement_timeout` included),
    /// nor a connection failure (`08…`): PostgreSQL sends those while COMMIT waits for a
    /// synchronous standby too, after the commit is local ("the transaction has already committed
    /// locally"). What became of such a statement must be found out (`resolve`).
    static func rolledBack(_ error: any Error) -> Bool {
        guard let state = (error as? PSQLError)?.serverInfo?[.sqlState] else { return false }
        return !state.hasPrefix("57") && !state.hasPrefix("08")
    }

    /// The SQLSTATE of a lock not granted within `lock_timeout` (`PostgresSettings.writerLockTimeout`).
    static let lockNotAvailable = "55P03"

    // MARK: - The membership feed

    public func events(after id: Int64, limit: Int) async throws(LedgerError) -> [MembershipEvent] {
        try await perform(listing: true) { [logger] client in
            var events: [MembershipEvent] = []
            let horizon = try await Self.eventHorizon(on: client, logger: logger)
            let rows = try await client.query("""
                SELECT id, invitation_id, subject, project, role, accepted_at, expires_at, member_until, created_account
                FROM tessera_event WHERE id > \(id) AND id < \(horizon) ORDER BY id LIMIT \(Int64(limit))
                """, logger: logger)
            for try await row in rows.decode((Int64, String, String, String, String, Int64, Int64?, Int64?, Bool).self) {
                let acceptance = Acceptance(invitationID: row.1, subject: row.2, project: row.3, role: row.4, acceptedAt: Timestamp(seconds: row.5),
                                            expiresAt: row.6.map { Timestamp(seconds: $0) }, memberUntil: row.7.map { Timestamp(seconds: $0) })
                events.append(MembershipEvent(id: row.0, acceptance: acceptance, createdAccount: row.8))
            }
            return events
        }
    }

    public func latestEventID() async throws(LedgerError) -> Int64 {
        try await perform(listing: true) { [logger] client in
            var latest: Int64 = 0
            let horizon = try await Self.eventHorizon(on: client, logger: logger)
            for try await id in try await client.query("SELECT COALESCE(MAX(id), 0)::bigint FROM tessera_event WHERE id < \(horizon)",
                                                       logger: logger).decode(Int64.self) { latest = id }
            return latest
        }
    }

    public func eventCount(after id: Int64) async throws(LedgerError) -> Int {
        try await perform(listing: true) { [logger] client in
            var count: Int64 = 0
            for try await found in try await client.query("SELECT count(*)::bigint FROM tessera_event WHERE id > \(id)", logger: logger).decode(Int64.self) { count = found }
            return Int(count)
        }
    }

    public func deliveredThrough(_ sink: String) async throws(LedgerError) -> Int64? {
        try await perform(listing: true) { [logger] client in
            var through: Int64?
            for try await id in try await client.query("SELECT delivered_through FROM tessera_event_delivery WHERE sink = \(sink)", logger: logger)
                .decode(Int64.self) { through = id }
            return through
        }
    }

    public func markDelivered(_ sink: String, through id: Int64) async throws(LedgerError) {
        try await perform { [logger] client in
            try await client.query("""
                INSERT INTO tessera_event_delivery (sink, delivered_through) VALUES (\(sink), \(id))
                ON CONFLICT (sink) DO UPDATE SET delivered_through = GREATEST(tessera_event_delivery.delivered_through, excluded.delivered_through)
                """, logger: logger)
            return ()
        }
    }

    public func pruneEvents(acceptedBefore cutoff: Timestamp, dryRun: Bool) async throws(LedgerError) -> EventPruning {
        // A sink's mark is an id below the horizon when it was read (`events(after:)`), so every event at or
        // below every sink's mark is final and delivered everywhere. Read once and bound, so that the counts and the deletes agree
        // (marks only move forward). No sink at all: nothing awaits the events.
        let (through, counts) = try await perform(listing: true) { [logger] client in
            var through = Int64.max
            for try await mark in try await client.query("SELECT MIN(delivered_through) FROM tessera_event_delivery", logger: logger).decode(Int64?.self) {
                through = mark ?? .max
            }
            var removable = 0, held = 0, newestHeld: Int64 = 0
            for try await (r, h, n) in try await client.query("""
                SELECT (count(*) FILTER (WHERE id <= \(through)))::bigint, (count(*) FILTER (WHERE id > \(through)))::bigint, COALESCE(MAX(id), 0)::bigint
                FROM tessera_event WHERE accepted_at < \(cutoff.seconds)
                """, logger: logger).decode((Int64, Int64, Int64).self) {
                (removable, held, newestHeld) = (Int(r), Int(h), n)
            }
            var waiting: [EventPruning.Mark] = []
            if held > 0 {
                for try await (sink, mark) in try await client.query(
                    "SELECT sink, delivered_through FROM tessera_event_delivery WHERE delivered_through < \(newestHeld) ORDER BY delivered_through, sink",
                    logger: logger).decode((String, Int64).self) {
                    waiting.append(EventPruning.Mark(sink: sink, deliveredThrough: mark))
                }
            }
            return (through, EventPruning(removed: removable, undelivered: held, waitingFor: waiting))
        }
        guard !dryRun else { return counts }
        // In batches, oldest first, each its own statement: a first prune of a long-grown feed neither holds
        // locks for long nor outlives the deadline as one transaction that is rolled back every time.
        var removed = 0
        while true {
            let deleted = try await perform(listing: true) { [logger] client in
                var count = 0
                for try await deleted in try await client.query("""
                    WITH gone AS (
                        DELETE FROM tessera_event WHERE id IN (
                            SELECT id FROM tessera_event WHERE accepted_at < \(cutoff.seconds) AND id <= \(through) ORDER BY id LIMIT \(EventPruning.batch))
                        RETURNING 1)
                    SELECT count(*)::bigint FROM gone
                    """, logger: logger).decode(Int64.self) {
                    count = Int(deleted)
                }
                return count
            }
            removed += deleted
            if deleted < EventPruning.batch { break }
        }
        return EventPruning(removed: removed, undelivered: counts.undelivered, waitingFor: counts.waitingFor)
    }

    private static func rows(_ sequence: PostgresRowSequence) async throws -> [Acceptance] {
        var result: [Acceptance] = []
        for try await row in sequence.decode((String, String, String, String, Int64, Int64?, Int64?).self) { result.append(acceptance(row)) }
        return result
    }

    static func acceptance(_ row: (String, String, String, String, Int64, Int64?, Int64?)) -> Acceptance {
        Acceptance(invitationID: row.0, subject: row.1, project: row.2, role: row.3,
                   acceptedAt: Timestamp(seconds: row.4), expiresAt: row.5.map { Timestamp(seconds: $0) },
                   memberUntil: row.6.map { Timestamp(seconds: $0) })
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

    /// Statements in flight at once, by default, for reads and for first uses each (`BatchQueue`).
    public static let defaultLanes = 4

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

/// A statement of first uses as it was sent: its attempt id, the first uses of its batch, and,
/// once one of them asks, what became of it (`PostgresLedger.resolve`).
final class SentStatement: Sendable {
    /// What became of one first use of a statement whose answer was lost.
    enum Fate: Sendable {
        /// The id is now taken by a fence: the statement never committed, and never will.
        case fenced
        /// The statement committed; the subject's row took this use.
        case committed(use: Int32)
        /// The statement committed, but without this subject's row: no use was left for it (it
        /// shared its batch with first uses that took theirs), or the row has been deleted since.
        case committedRowGone
    }

    let attempt: UUID
    /// The first uses of the batch (one per invitation); those whose callers gave up before it was sent are not in the statement.
    let requests: [RedemptionRequest]
    private let asked = Mutex<Task<Result<[String: Fate], LedgerError>, Never>?>(nil)

    init(attempt: UUID, requests: [RedemptionRequest]) {
        self.attempt = attempt
        self.requests = requests
    }

    /// The fates of the statement's first uses, by invitation: `ask` runs once, for the first caller; the others wait for its answer.
    func fates(_ ask: @escaping @Sendable () async -> Result<[String: Fate], LedgerError>) async -> Result<[String: Fate], LedgerError> {
        let task = asked.withLock { asked in
            if let asked { return asked }
            let task = Task { await ask() }
            asked = task
            return task
        }
        return await task.value
    }
}

/// Whether a first use's statement may have reached the server, and which one: the statement and
/// its caller agree on it under one lock.
///
/// The statement is sent only if the caller has not given up; a caller whose deadline passed
/// gives up. Whichever comes first wins, so a statement is either known unsent or is resolved.
/// A first use whose batch was refused is sent again alone, in a statement of its own.
final class Sending: Sendable {
    private enum State: Sendable { case waiting, sent(SentStatement), abandoned }

    private let state = Mutex(State.waiting)

    /// True if `statement` may be sent now with this first use; false if the caller gave up first.
    func start(_ statement: SentStatement) -> Bool {
        state.withLock { state in
            if case .abandoned = state { return false }
            state = .sent(statement)
            return true
        }
    }

    /// Gives up; the statement last sent, if any (then what became of it must be found out).
    func abandon() -> SentStatement? {
        state.withLock { state in
            defer { state = .abandoned }
            if case .sent(let statement) = state { return statement }
            return nil
        }
    }
}
