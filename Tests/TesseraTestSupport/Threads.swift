import Foundation
import Testing

/// Runs blocking work (child processes, sockets, sleeps) on a thread of its own, beside the async test that
/// awaits it: for blocking steps that must run concurrently with the test's own awaits (a flood while the
/// test watches the gateway). A whole test that blocks needs nothing: `.offThePool` already gives it a thread.
///
/// A failed `#expect` inside still fails the run, with its file and line, but Swift Testing cannot
/// tell which test it belongs to (the thread has no task context): look at the line it names.
public func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try work() }) }
        thread.stackSize = 4 << 20
        thread.start()
    }
}

/// Every suite here runs its tests on `ElasticExecutor.shared` instead of Swift's shared pool.
///
/// The shared pool has one thread per core, two on CI. Many tests block a thread for seconds (they run
/// `tessera`, `zbarimg`, `nginx`, or fsync a ledger), and two of them at once held both threads: every
/// in-process gateway and every PostgreSQL operation in the process then waited out its deadline (seen
/// with gdb in stalled runs: both pool threads inside test bodies waiting on child processes). Under
/// this trait a test's body, its child tasks and whatever resumes them run on threads that nothing else
/// needs.
///
/// The pool's two threads were also what kept the blocking tests two at a time; off it, all of them
/// started at once (50 child processes seen on two cores, and every deadline missed). So at most
/// `TestSlots.shared.width` tests run at once under this trait: twice the cores, or
/// `TESSERA_TEST_WIDTH`. Tests with a `.timeLimit` do not queue.
public struct OffThePoolTrait: SuiteTrait, TestTrait, TestScoping {
    /// Whether each test runs with no other queued test beside it (it takes every slot): for load tests whose
    /// subject is a deadline under load, such as 200 joins across three gateways, which an ASan pass with
    /// three other tests beside them pushed past the gateways' 10 s ledger deadline (55 answers of 503).
    public var alone = false

    public var isRecursive: Bool { true }

    // Called once per test case: a recursive suite trait gives suites themselves no scope, so a suite
    // never holds a slot its own tests wait for.
    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await withTaskExecutorPreference(ElasticExecutor.shared) {
            // A time limit counts from before this scope: a test that has one would spend it queueing.
            // The few that have one (servers that could hang) start at once.
            if test.timeLimit != nil {
                try await function()
                return
            }
            let slots = alone ? TestSlots.shared.width : 1
            await TestSlots.shared.acquire(slots)
            do {
                try await function()
            } catch {
                await TestSlots.shared.release(slots)
                throw error
            }
            await TestSlots.shared.release(slots)
        }
    }
}

/// How many tests under `OffThePoolTrait` run at once; the rest wait their turn in arrival order.
public actor TestSlots {
    public static let shared = TestSlots(
        width: ProcessInfo.processInfo.environment["TESSERA_TEST_WIDTH"].flatMap { Int($0) }.map { max(1, $0) }
            ?? max(2, 2 * ProcessInfo.processInfo.activeProcessorCount)
    )

    public let width: Int
    private var running = 0
    // First come, first served: a test that needs every slot is not overtaken for ever by single ones.
    private var waiting: [(slots: Int, continuation: CheckedContinuation<Void, Never>)] = []

    init(width: Int) { self.width = width }

    func acquire(_ slots: Int) async {
        if waiting.isEmpty, running + slots <= width {
            running += slots
            return
        }
        await withCheckedContinuation { waiting.append((slots, $0)) }  // `release` counts them in
    }

    func release(_ slots: Int) {
        running -= slots
        while let next = waiting.first, running + next.slots <= width {
            waiting.removeFirst()
            running += next.slots
            next.continuation.resume()
        }
    }
}

extension Trait where Self == OffThePoolTrait {
    /// Runs the suite's tests on threads of their own: see `OffThePoolTrait`.
    public static var offThePool: Self { Self() }

    /// Like `.offThePool`, each test also running with no other queued test beside it.
    public static var offThePoolAlone: Self { Self(alone: true) }
}

/// A task executor that never makes a job wait for a blocked thread: a job goes to an idle worker, or to
/// a new one, up to `limit` workers; only past that does it queue. Idle workers leave after a minute.
public final class ElasticExecutor: TaskExecutor, @unchecked Sendable {
    public static let shared = ElasticExecutor(limit: 256)

    private let limit: Int
    private let lock = NSLock()
    // Guarded by `lock`.
    private var idle: [Worker] = []
    private var queued: [UnownedJob] = []
    private var workers = 0

    init(limit: Int) { self.limit = limit }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        lock.lock()
        if let worker = idle.popLast() {
            lock.unlock()
            worker.hand(job)
        } else if workers < limit {
            workers += 1
            lock.unlock()
            let worker = Worker(executor: self)
            worker.hand(job)
            let thread = Thread { worker.run() }
            thread.stackSize = 4 << 20
            thread.start()
        } else {
            queued.append(job)
            lock.unlock()
        }
    }

    /// The next job for a worker that finished one: a queued job, or nil after the worker was put on
    /// the idle list.
    fileprivate func next(for worker: Worker) -> UnownedJob? {
        lock.lock()
        defer { lock.unlock() }
        if !queued.isEmpty { return queued.removeFirst() }
        idle.append(worker)
        return nil
    }

    /// Whether an idle worker may leave: false when `enqueue` took it off the idle list and is about to
    /// hand it a job.
    fileprivate func retire(_ worker: Worker) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard let index = idle.firstIndex(where: { $0 === worker }) else { return false }
        idle.remove(at: index)
        workers -= 1
        return true
    }

    fileprivate final class Worker: @unchecked Sendable {
        private unowned let executor: ElasticExecutor
        private let handed = DispatchSemaphore(value: 0)
        private var job: UnownedJob?  // written before `handed` is signalled, read after it is waited

        init(executor: ElasticExecutor) { self.executor = executor }

        func hand(_ job: UnownedJob) {
            self.job = job
            handed.signal()
        }

        func run() {
            while true {
                if handed.wait(timeout: .now() + 60) == .timedOut {
                    if executor.retire(self) { return }
                    handed.wait()  // taken off the idle list just now: its job is on the way
                }
                var current = job
                while let running = current {
                    running.runSynchronously(on: executor.asUnownedTaskExecutor())
                    current = executor.next(for: self)
                }
            }
        }
    }
}

/// Whether this process was built with AddressSanitizer (`swift test --sanitize=address`): its runtime's entry
/// point is then linked in. The binaries the tests run come from the same build folder, so they are too.
public let isAddressSanitized: Bool = dlsym(dlopen(nil, RTLD_NOW), "__asan_init") != nil
