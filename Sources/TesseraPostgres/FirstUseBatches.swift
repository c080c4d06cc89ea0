import Logging
import PostgresNIO
import Synchronization
import struct Foundation.UUID
import TesseraCore

/// Group commit for first uses (issue 16): first uses that arrive while others are being written
/// wait, and go together into the next statement (`PostgresLedger.FirstUse`).
///
/// A first use costs PostgreSQL a transaction: a commit record, a WAL flush, a round trip, and
/// the four rows it writes. Measured with `pgbench` on a 2-core machine, 32 clients, the
/// statement holding one first use ran at 0.43 of the rate of single-row `INSERT`s; holding
/// four, eight or sixteen (of distinct invitations), it ran at 1.1, 1.7 and 2.7 of it, counted
/// in first uses. So at most `lanes` statements are in flight at once, each on its own pooled
/// connection; a first use that finds every lane busy waits for the next free one, which takes
/// whatever waits then. A lone first use is written at once, in a batch of one.
///
/// A batch holds at most one first use per invitation: two of one invitation would lock its row
/// twice in one statement, which PostgreSQL refuses. The others wait for a later batch.
///
/// Each first use still answers only for itself: its own use, or `usedUp`, or its own error. A
/// batch in which another gateway committed one of the subjects first rolls back as a whole
/// (`tessera_use_given_back()`), as does one the server refuses for one request's values; its
/// first uses are then written one by one, so one never fails another. A caller whose
/// deadline passed before its batch was sent is left out of it (`Sending`); one whose answer
/// was lost resolves it by the batch's attempt id, which every first use of the batch shares.
final class FirstUseBatches: Sendable {
    /// What a first use gets back: its own outcome, or an error of the statement that carried it.
    typealias Answer = Result<Result<Redemption, LedgerError>, any Error>

    private struct Entry: Sendable {
        let request: RedemptionRequest
        let sending: Sending
        let continuation: CheckedContinuation<Result<Redemption, LedgerError>, any Error>

        func answer(_ answer: Answer) { continuation.resume(with: answer) }
    }

    /// First uses in one statement at most; their events' slots stay below `PostgresLedger.eventsPerTransaction`.
    static let maximumBatch = 64

    private let queue: BatchQueue<Entry>
    private let context: Context

    /// How many statements of first uses the server refused with `sqlState` so far: for tests.
    func refusals(_ sqlState: String) -> Int { context.refused.count(sqlState) }

    /// What every batch is written with.
    struct Context: Sendable {
        let client: PostgresClient
        let deadline: Duration
        /// Where the ledger is, with the password hidden, for error messages.
        let location: String
        let logger: Logger
        let refused = Refusals()
        let waiters = Waiters()
    }

    /// Statements the server refused, by SQLSTATE (`40P01` a deadlock, `55P03` a lock held too long, `TS001` a use given back).
    final class Refusals: Sendable {
        private let counts = Mutex([String: Int]())
        func record(_ error: any Error) {
            let refusal = (error as? PostgresLedger.BatchRolledBack)?.refusal ?? (error as? PSQLError)
            guard let state = refusal?.serverInfo?[.sqlState] else { return }
            counts.withLock { $0[state, default: 0] += 1 }
        }
        func count(_ sqlState: String) -> Int { counts.withLock { $0[sqlState] ?? 0 } }
    }

    /// First uses waiting for rows held elsewhere (`waitForLock`), each on a connection of its own:
    /// at most half the writer's pool, so that the lanes always find a connection.
    final class Waiters: Sendable {
        static let maximum = 8
        private let count = Mutex(0)
        /// True, and counted, if one more may wait.
        func enter() -> Bool {
            count.withLock { count in
                guard count < Self.maximum else { return false }
                count += 1
                return true
            }
        }
        func leave() { count.withLock { $0 -= 1 } }
    }

    init(client: PostgresClient, lanes: Int, deadline: Duration, location: String, logger: Logger) {
        let context = Context(client: client, deadline: deadline, location: location, logger: logger)
        self.context = context
        queue = BatchQueue(lanes: lanes, maximumBatch: Self.maximumBatch, key: { $0.request.acceptance.invitationID }) { batch in
            await Self.write(batch, context)
        }
    }

    /// First uses waiting for a lane: for tests.
    var waitingCount: Int { queue.waitingCount }

    /// Queues a first use and returns what became of it once the statement that carried it has ended.
    ///
    /// `sending` records the attempt id of that statement when it is sent: the caller finds out
    /// what became of it by that id if this never returns in time.
    func submit(_ request: RedemptionRequest, sending: Sending) async throws -> Result<Redemption, LedgerError> {
        try await withCheckedThrowingContinuation { continuation in
            queue.add(Entry(request: request, sending: sending, continuation: continuation))
        }
    }

    /// Writes one batch on one pooled connection and answers each of its first uses, within `deadline`.
    ///
    /// The lane gives up at the deadline, as each caller does: a connection the pool never hands
    /// over, or a statement that never answers, must not hold the lane (and every first use
    /// after it) for ever. The callers whose statement was sent then find out what became of it.
    ///
    /// The batch's first uses are sent in the order of their invitation ids, so every statement,
    /// of every gateway, locks invitations' rows in one order: two batches never wait for each
    /// other's rows (a deadlock). A statement still waits for a row held by a transaction that
    /// does not end; after `PostgresSettings.writerLockTimeout` it is refused, and its first uses
    /// are sent again one by one, so only the first use of that invitation goes on waiting.
    private static func write(_ batch: [Entry], _ context: Context) async {
        let client = context.client, logger = context.logger
        let answered = Mutex(Set<Int>())
        let answer: @Sendable (Int, Answer) -> Void = { index, result in
            guard answered.withLock({ $0.insert(index).inserted }) else { return }
            batch[index].answer(result)
        }
        // First uses handed to `waitForLock`, which answers them itself, later.
        let delegated = Mutex(Set<Int>())
        let waitForLock: @Sendable (Int) -> Void = { index in
            delegated.withLock { _ = $0.insert(index) }
            Self.waitForLock(index, of: batch, context, answer: answer)
        }
        let ordered = batch.indices.sorted { batch[$0].request.acceptance.invitationID < batch[$1].request.acceptance.invitationID }
        let written = await Deadline.race(context.deadline) {
            try await client.withConnection { connection in
                // A connection handed over after a caller gave up sends nothing of its: "nothing granted" must stay true.
                let statement = SentStatement(attempt: UUID(), requests: batch.map(\.request))
                let live = ordered.filter { batch[$0].sending.start(statement) }
                for index in batch.indices where !live.contains(index) {
                    answer(index, .failure(abandoned))
                }
                guard !live.isEmpty else { return }
                do {
                    do {
                        let outcomes = try await PostgresLedger.apply(live.map { batch[$0].request }, attempt: statement.attempt, on: connection, logger: logger, location: context.location)
                        for (index, outcome) in zip(live, outcomes) { answer(index, .success(outcome)) }
                    } catch {
                        context.refused.record(error)
                        throw error
                    }
                } catch where live.count == 1 && isLockTimeout(error) {
                    // Alone already, and its invitation's row is held elsewhere: it waits on a connection of its own, not on the lane.
                    waitForLock(live[0])
                } catch let refusal where refusal is PostgresLedger.BatchRolledBack || isLockTimeout(refusal) {
                    // Refused and rolled back as a whole: each first use again, alone, under an attempt id of its own.
                    let locked = try await writeAlone(live, of: batch, on: connection, context, answer: answer)
                    for index in locked { waitForLock(index) }
                }
            }
        }
        let mine = batch.indices.filter { index in !delegated.withLock { $0.contains(index) } }
        if case .failure(let error) = written {
            for index in mine { answer(index, .failure(error)) }
        }
        // Nothing of this lane's may be left waiting, whatever ended the write.
        for index in mine { answer(index, .failure(LedgerError.unavailable("the first use's statement ended without an answer"))) }
    }

    /// Sends each first use alone, once; returns those whose invitations' rows stayed locked.
    private static func writeAlone(_ indices: [Int], of batch: [Entry], on connection: PostgresConnection, _ context: Context,
                                   answer: @Sendable (Int, Answer) -> Void) async throws -> [Int] {
        var locked: [Int] = []
        for index in indices {
            if let answered = try await sendAlone(batch[index], on: connection, context) { answer(index, answered) } else { locked.append(index) }
        }
        return locked
    }

    /// Sends a first use whose invitation's row is locked elsewhere again and again, alone, on a
    /// connection of its own, until it is answered or its caller gives up: as long as a caller
    /// would have waited for the lock before batches, but without holding a lane meanwhile.
    private static func waitForLock(_ index: Int, of batch: [Entry], _ context: Context, answer: @escaping @Sendable (Int, Answer) -> Void) {
        let entry = batch[index]
        guard context.waiters.enter() else {
            // As many wait already as may: this one is answered now, its statement having been refused (rolled back).
            answer(index, .failure(LedgerError.unavailable(
                "\(context.location): the invitation's row is held by another transaction, and \(Waiters.maximum) first uses wait for rows held already; nothing was granted")))
            return
        }
        Task {
            defer { context.waiters.leave() }
            let waited = await Deadline.race(context.deadline) {
                try await context.client.withConnection { connection in
                    while true {
                        if let answered = try await sendAlone(entry, on: connection, context) { return answer(index, answered) }
                        try Task.checkCancellation()
                    }
                }
            }
            if case .failure(let error) = waited { answer(index, .failure(error)) }
        }
    }

    /// Sends one first use alone, in a statement of its own; nil when its invitation's row stayed
    /// locked past `lock_timeout` (the statement was refused, nothing of it is left). A caller
    /// who gave up gets nothing sent. Other failures that may hide a commit are thrown, so that
    /// the caller finds out what became of the statement.
    private static func sendAlone(_ entry: Entry, on connection: PostgresConnection, _ context: Context) async throws -> Answer? {
        let alone = SentStatement(attempt: UUID(), requests: [entry.request])
        guard entry.sending.start(alone) else { return .failure(abandoned) }
        do {
            let outcome = try await PostgresLedger.apply([entry.request], attempt: alone.attempt, on: connection, logger: context.logger, location: context.location)
            return .success(outcome[0])
        } catch where isLockTimeout(error) {
            return nil
        } catch let error as PSQLError where PostgresLedger.rolledBack(error) {
            return .failure(error)
        }
    }

    /// The answer to a first use whose caller gave up before its statement was sent.
    private static let abandoned = LedgerError.unavailable("abandoned after the deadline")

    /// Whether the server refused a statement because a row it needed stayed locked past `lock_timeout`.
    private static func isLockTimeout(_ error: any Error) -> Bool {
        (error as? PSQLError)?.serverInfo?[.sqlState] == PostgresLedger.lockNotAvailable
    }
}
