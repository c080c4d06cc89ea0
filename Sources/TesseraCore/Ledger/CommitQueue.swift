import Synchronization

/// Group commit: requests that arrive while a batch is being written wait, and go together into the next one.
///
/// A durable commit costs one fsync whatever it holds, so with many concurrent callers the
/// cost per request falls with the batch size. There is no writer task: the first caller to
/// find nobody writing leads, writing its own request and whatever is waiting; when it is done
/// it hands the lead to the oldest waiter, which writes the next batch. A lone caller therefore
/// writes on its own thread, with no hop to another one. Each caller gets its own outcome, and
/// only once the batch holding its request has been written (committed or failed).
public final class CommitQueue<Request: Sendable, Outcome: Sendable>: Sendable {
    private enum Wake: Sendable {
        case done(Outcome)
        case lead
    }

    private struct Waiter: Sendable {
        let request: Request
        let continuation: CheckedContinuation<Wake, Never>
    }

    private struct State: Sendable {
        var waiting: [Waiter] = []
        var isWriting = false
    }

    private let state = Mutex(State())
    private let maximumBatch: Int
    /// Writes one batch and returns one outcome per request, in order. It blocks its thread for the commit.
    private let write: @Sendable ([Request]) -> [Outcome]

    public init(maximumBatch: Int = 256, write: @escaping @Sendable ([Request]) -> [Outcome]) {
        self.maximumBatch = maximumBatch
        self.write = write
    }

    /// Queues a request and returns the outcome of the batch that carried it.
    public func submit(_ request: Request) async -> Outcome {
        let leadsNow = state.withLock { state in
            if state.isWriting { return false }
            state.isWriting = true
            return true
        }
        if leadsNow { return lead(with: request) }
        let wake = await withCheckedContinuation { (continuation: CheckedContinuation<Wake, Never>) in
            let leads = state.withLock { state in
                // The writer may have finished since the first look.
                if !state.isWriting {
                    state.isWriting = true
                    return true
                }
                state.waiting.append(Waiter(request: request, continuation: continuation))
                return false
            }
            if leads { continuation.resume(returning: .lead) }
        }
        switch wake {
        case .done(let outcome): return outcome
        case .lead: return lead(with: request)
        }
    }

    /// Writes `request` with up to `maximumBatch - 1` waiting ones, answers them, and passes the lead on.
    private func lead(with request: Request) -> Outcome {
        let others: [Waiter] = state.withLock { state in
            let count = min(state.waiting.count, maximumBatch - 1)
            let batch = Array(state.waiting.prefix(count))
            state.waiting.removeFirst(count)
            return batch
        }
        let outcomes = write([request] + others.map(\.request))
        precondition(outcomes.count == others.count + 1, "a batch write must answer every request")
        for (waiter, outcome) in zip(others, outcomes.dropFirst()) {
            waiter.continuation.resume(returning: .done(outcome))
        }
        let next: Waiter? = state.withLock { state in
            if state.waiting.isEmpty {
                state.isWriting = false
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.continuation.resume(returning: .lead)
        return outcomes[0]
    }
}
