import Synchronization

/// Group commit: requests that arrive while a batch is being written wait and go together into the next one.
///
/// A durable commit costs one fsync whatever it holds, so with many concurrent callers the
/// cost per request falls with the batch size. Each caller still gets its own outcome, and
/// only once the batch holding its request has been written (committed or failed).
final class CommitQueue<Request: Sendable, Outcome: Sendable>: Sendable {
    private struct Waiter {
        let request: Request
        let continuation: CheckedContinuation<Outcome, Never>
    }

    private struct State {
        var waiting: [Waiter] = []
        var isWriting = false
    }

    private let state = Mutex(State())
    private let maximumBatch: Int
    /// Writes one batch and returns one outcome per request, in order.
    private let write: @Sendable ([Request]) async -> [Outcome]

    init(maximumBatch: Int = 256, write: @escaping @Sendable ([Request]) async -> [Outcome]) {
        self.maximumBatch = maximumBatch
        self.write = write
    }

    /// Queues a request and waits for the outcome of the batch that carries it.
    func submit(_ request: Request) async -> Outcome {
        await withCheckedContinuation { continuation in
            let startsWriter = state.withLock { state in
                state.waiting.append(Waiter(request: request, continuation: continuation))
                if state.isWriting { return false }
                state.isWriting = true
                return true
            }
            if startsWriter {
                Task { await self.drain() }
            }
        }
    }

    /// Writes batches until nobody is waiting; only one drain runs at a time.
    private func drain() async {
        while true {
            let batch: [Waiter] = state.withLock { state in
                let count = min(state.waiting.count, maximumBatch)
                let batch = Array(state.waiting.prefix(count))
                state.waiting.removeFirst(count)
                if batch.isEmpty { state.isWriting = false }
                return batch
            }
            if batch.isEmpty { return }
            let outcomes = await write(batch.map(\.request))
            precondition(outcomes.count == batch.count, "a batch write must answer every request")
            for (waiter, outcome) in zip(batch, outcomes) {
                waiter.continuation.resume(returning: outcome)
            }
        }
    }
}
