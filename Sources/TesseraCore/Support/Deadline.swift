import Dispatch
import Synchronization

/// Bounds how long an operation may take (a database statement, a fetch), even one that ignores cancellation.
public enum Deadline {
    /// The operation did not finish in time.
    public struct Passed: Error {
        public init() {}
    }

    /// The outcome of `body`, or `Passed` once `limit` has gone by; `body` is then cancelled and its late result dropped.
    public static func race<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async -> Result<T, any Error> {
        let slot = Mutex<CheckedContinuation<Result<T, any Error>, Never>?>(nil)
        let finish: @Sendable (Result<T, any Error>) -> Void = { result in
            slot.withLock { continuation in
                continuation?.resume(returning: result)
                continuation = nil
            }
        }
        var work: Task<Void, Never>?
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, any Error>, Never>) in
            slot.withLock { $0 = continuation }
            work = Task {
                do {
                    finish(.success(try await body()))
                } catch {
                    finish(.failure(error))
                }
            }
            // A dispatch timer, not a task: it fires even when every thread of the task pool is busy.
            let (seconds, attoseconds) = limit.components
            let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { finish(.failure(Passed())) }
        }
        work?.cancel()
        return result
    }
}
