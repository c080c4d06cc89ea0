import Dispatch
import Synchronization
import TesseraCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Many pages at once, on every core: rendering a page and its QR code is most of the work.
public enum Batch {
    /// One thread per core, at most 8; a small batch runs on the calling thread alone.
    public static func threads(for count: Int) -> Int {
        guard count >= 64 else { return 1 }
        return max(1, min(8, sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// Runs `body` for every index in `0..<count` on `threads` threads and returns the results in index order.
    ///
    /// The first error stops the remaining work and is thrown; `progress` is called with the
    /// number of items done, from one thread at a time, at most every 64 items and at the end.
    public static func run<Result: Sendable>(
        _ count: Int, threads: Int? = nil, progress: @escaping @Sendable (Int) -> Void = { _ in },
        _ body: @escaping @Sendable (Int) throws(FileError) -> Result
    ) throws(FileError) -> [Result] {
        let slots = Mutex<[Result?]>(Array(repeating: nil, count: count))
        let next = Atomic<Int>(0)
        let done = Atomic<Int>(0)
        let failure = Mutex<FileError?>(nil)
        let reporter = Mutex<Void>(())
        let workers = max(1, min(threads ?? Self.threads(for: count), count))
        let work: @Sendable (Int) -> Void = { _ in
            while failure.withLock({ $0 == nil }) {
                let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard index < count else { return }
                do throws(FileError) {
                    let result = try body(index)
                    slots.withLock { $0[index] = result }
                } catch {
                    failure.withLock { if $0 == nil { $0 = error } }
                    return
                }
                let finished = done.wrappingAdd(1, ordering: .relaxed).newValue
                if finished % 64 == 0 || finished == count { reporter.withLock { _ in progress(finished) } }
            }
        }
        if workers == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: work) }
        if let error = failure.withLock({ $0 }) { throw error }
        return slots.withLock { $0.map { $0! } }
    }
}
