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

    init(client: PostgresClient, lanes: Int, logger: Logger) {
        queue = BatchQueue(lanes: lanes, maximumBatch: Self.maximumBatch, key: { $0.request.acceptance.invitationID }) { batch in
            await Self.write(batch, client: client, logger: logger)
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

    /// Writes one batch on one pooled connection and answers each of its first uses.
    private static func write(_ batch: [Entry], client: PostgresClient, logger: Logger) async {
        let answered = Mutex(Set<Int>())
        let answer: @Sendable (Int, Answer) -> Void = { index, result in
            guard answered.withLock({ $0.insert(index).inserted }) else { return }
            batch[index].answer(result)
        }
        do {
            try await client.withConnection { connection in
                // A connection handed over after a caller gave up sends nothing of its: "nothing granted" must stay true.
                let statement = SentStatement(attempt: UUID(), requests: batch.map(\.request))
                let live = batch.indices.filter { batch[$0].sending.start(statement) }
                for index in batch.indices where !live.contains(index) {
                    answer(index, .failure(LedgerError.unavailable("abandoned after the deadline")))
                }
                guard !live.isEmpty else { return }
                do {
                    let outcomes = try await PostgresLedger.apply(live.map { batch[$0].request }, attempt: statement.attempt, on: connection, logger: logger)
                    for (index, outcome) in zip(live, outcomes) { answer(index, .success(outcome)) }
                } catch is PostgresLedger.BatchRolledBack {
                    // Refused and rolled back as a whole: each first use again, alone, under an attempt id of its own.
                    for index in live {
                        let alone = SentStatement(attempt: UUID(), requests: [batch[index].request])
                        guard batch[index].sending.start(alone) else {
                            answer(index, .failure(LedgerError.unavailable("abandoned after the deadline")))
                            continue
                        }
                        do {
                            let outcome = try await PostgresLedger.apply([batch[index].request], attempt: alone.attempt, on: connection, logger: logger)
                            answer(index, .success(outcome[0]))
                        } catch {
                            answer(index, .failure(error))
                        }
                    }
                }
            }
        } catch {
            for index in batch.indices { answer(index, .failure(error)) }
        }
        // Nothing may be left waiting, whatever ended the write.
        for index in batch.indices { answer(index, .failure(LedgerError.unavailable("the first use's statement ended without an answer"))) }
    }
}
