import Logging
import PostgresNIO
import Synchronization
import TesseraCore

/// Reads of members that arrive together go in one statement (`PostgresLedger.EarlierRead`):
/// one round trip and one index lookup each for all of them, instead of a round trip each.
///
/// Every request of a member already admitted is such a read, and so is the start of every first
/// use; with many callers, the cost of a round trip through the pool, more than the lookup,
/// bounds how many a process makes per second. A read locks nothing and writes nothing, so one
/// that is answered after its caller gave up changes nothing.
final class ReadBatches: Sendable {
    typealias Found = (acceptance: Acceptance, taken: Int)

    private struct Entry: Sendable {
        let invitationID: String
        let subject: String
        let continuation: CheckedContinuation<Found?, any Error>
    }

    /// Subjects in one read at most.
    static let maximumBatch = 64

    private let queue: BatchQueue<Entry>

    init(client: PostgresClient, lanes: Int, deadline: Duration, logger: Logger) {
        queue = BatchQueue(lanes: lanes, maximumBatch: Self.maximumBatch) { batch in
            await Self.read(batch, client: client, deadline: deadline, logger: logger)
        }
    }

    /// The subject's committed row with its invitation's use count, or nil when there is none.
    func earlier(invitationID: String, subject: String) async throws -> Found? {
        try await withCheckedThrowingContinuation { continuation in
            queue.add(Entry(invitationID: invitationID, subject: subject, continuation: continuation))
        }
    }

    /// Reads one batch and answers each of its requests, within `deadline`: a pool request or a
    /// statement that never ends must not hold the lane, and every read after it, for ever.
    private static func read(_ batch: [Entry], client: PostgresClient, deadline: Duration, logger: Logger) async {
        let answered = Mutex(Set<Int>())
        let answer: @Sendable (Int, Result<Found?, any Error>) -> Void = { index, result in
            guard answered.withLock({ $0.insert(index).inserted }) else { return }
            batch[index].continuation.resume(with: result)
        }
        let done = await Deadline.race(deadline) {
            do {
                let found = try await rows(of: batch, client: client, logger: logger)
                for index in batch.indices { answer(index, .success(found[index])) }
            } catch let refusal as PSQLError where refusal.serverInfo != nil && batch.count > 1 {
                // Refused for what one request holds (a subject the database cannot store): each alone, so one read never fails another.
                for index in batch.indices {
                    do {
                        answer(index, .success(try await rows(of: [batch[index]], client: client, logger: logger)[0]))
                    } catch {
                        answer(index, .failure(error))
                    }
                }
            }
        }
        if case .failure(let error) = done {
            for index in batch.indices { answer(index, .failure(error)) }
        }
    }

    /// One statement for the whole batch: what it found of each, in order.
    private static func rows(of batch: [Entry], client: PostgresClient, logger: Logger) async throws -> [Found?] {
        var found = [Found?](repeating: nil, count: batch.count)
        let statement = PostgresLedger.EarlierRead(batch.map { ($0.invitationID, $0.subject) })
        for try await row in try await client.execute(statement, logger: logger) where found.indices.contains(row.slot - 1) {
            found[row.slot - 1] = (row.acceptance, row.taken)
        }
        return found
    }
}
