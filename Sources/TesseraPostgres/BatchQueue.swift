import Synchronization

/// Requests that wait while others are in flight, and leave together as the next batch.
///
/// At most `lanes` batches are in flight at once. A request that finds a lane free opens it and
/// leaves at once, in a batch of one; one that finds every lane busy waits, and the next lane
/// to finish takes it with every other that waits then (up to `maximumBatch`). So a lone request
/// never waits, and under load the cost of a statement is shared by many requests.
final class BatchQueue<Entry: Sendable>: Sendable {
    private struct State: Sendable {
        var waiting: [Entry] = []
        var busyLanes = 0
    }

    private let state = Mutex(State())
    private let lanes: Int
    private let maximumBatch: Int
    /// Requests with the same key never share a batch: later ones wait for a later batch.
    private let key: (@Sendable (Entry) -> String)?
    /// Sends one batch and answers each of its requests.
    private let send: @Sendable ([Entry]) async -> Void

    init(lanes: Int, maximumBatch: Int, key: (@Sendable (Entry) -> String)? = nil, send: @escaping @Sendable ([Entry]) async -> Void) {
        self.lanes = max(1, lanes)
        self.maximumBatch = max(1, maximumBatch)
        self.key = key
        self.send = send
    }

    /// Requests waiting for a lane: for tests.
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// Queues a request; it is sent with the next batch that has room for it.
    func add(_ entry: Entry) {
        let opensLane = state.withLock { state in
            state.waiting.append(entry)
            guard state.busyLanes < lanes else { return false }
            state.busyLanes += 1
            return true
        }
        if opensLane { Task { await self.drain() } }
    }

    /// One lane: sends batches while requests wait, then closes.
    private func drain() async {
        while let batch = next() { await send(batch) }
    }

    /// The oldest waiting requests, of distinct keys, at most `maximumBatch`; nil, and the lane closes, when none wait.
    private func next() -> [Entry]? {
        state.withLock { state in
            guard !state.waiting.isEmpty else {
                state.busyLanes -= 1
                return nil
            }
            guard let key else {
                let batch = Array(state.waiting.prefix(maximumBatch))
                state.waiting.removeFirst(batch.count)
                return batch
            }
            var keys = Set<String>(), batch: [Entry] = [], later: [Entry] = []
            for entry in state.waiting {
                if batch.count < maximumBatch, keys.insert(key(entry)).inserted { batch.append(entry) } else { later.append(entry) }
            }
            state.waiting = later
            return batch
        }
    }
}
