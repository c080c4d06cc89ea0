import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The background watcher that follows edits of the revocation list and the keys folder while the server runs, and fetches a list published at a URL.
///
/// It polls on a thread of its own rather than in a task: a few `stat` calls (and, on a change,
/// reading the file) are blocking I/O, and a revocation must take effect on time even when every
/// thread of the shared task pool is busy (a ledger commit blocks one while it waits for the disk).
struct ReloadService: Service, CustomStringConvertible {
    let store: VerifierStore
    let cache: SignatureCache
    let metrics: GatewayMetrics
    let interval: Duration
    /// How often a list published at a URL is fetched again.
    let remoteRefresh: Duration
    let logger: Logger

    var description: String { "ReloadService" }

    func run() async throws {
        let flags = Flags()
        let pause = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        let service = self
        let thread = Thread {
            while !flags.stopped.load(ordering: .acquiring) {
                Thread.sleep(forTimeInterval: pause)
                service.check()
            }
            flags.done.store(true, ordering: .releasing)
        }
        thread.name = "tessera-reload"
        thread.start()
        // Until the server is told to stop (SIGTERM) or the task is cancelled; a URL list is fetched meanwhile.
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await gracefulShutdown() }
            if case .url = store.source {
                group.addTask {
                    while (try? await Task.sleep(for: remoteRefresh)) != nil {
                        report(await store.refreshRemote())
                    }
                }
            }
            await group.next()
            group.cancelAll()
        }
        flags.stopped.store(true, ordering: .releasing)
        while !flags.done.load(ordering: .acquiring) { try? await Task.sleep(for: .milliseconds(10)) }
    }

    private final class Flags: Sendable {
        let stopped = Atomic<Bool>(false)
        let done = Atomic<Bool>(false)
    }

    /// One pass: reload what changed, log it, and drop cached signatures made under keys that are gone.
    func check() {
        let before = store.snapshot.keyringGeneration
        report(store.reloadIfChanged())
        if store.snapshot.keyringGeneration != before { cache.removeAll() }
    }

    /// Logs and counts what a reload did.
    func report(_ events: [VerifierStore.Event]) {
        for event in events {
            switch event {
            case .revocationsReloaded(let entries):
                metrics.recordReload("ok")
                logger.notice("revocation list reloaded", metadata: ["revocation.entries": .stringConvertible(entries)])
            case .keysReloaded(let count):
                metrics.recordReload("ok")
                logger.notice("keys reloaded", metadata: ["keys.count": .stringConvertible(count)])
            case .failed(let problem):
                metrics.recordReload("error")
                var metadata: Logger.Metadata = ["file": .string(problem.file)]
                if let line = problem.line { metadata["line"] = .stringConvertible(line) }
                logger.error("cannot reload, keeping the last good copy: \(problem.description)", metadata: metadata)
            }
        }
    }
}
