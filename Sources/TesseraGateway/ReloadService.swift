import Logging
import ServiceLifecycle

/// The background task that follows edits of `revoked.txt` and the keys folder while the server runs.
struct ReloadService: Service, CustomStringConvertible {
    let store: VerifierStore
    let cache: SignatureCache
    let metrics: GatewayMetrics
    let interval: Duration
    let logger: Logger

    var description: String { "ReloadService" }

    func run() async throws {
        // Polling a few `stat` calls is cheaper and more portable than inotify, and keeps the one-second promise.
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: interval)
            check()
        }
    }

    /// One pass: reload what changed, log it, and drop cached signatures made under keys that are gone.
    func check() {
        let before = store.snapshot.keyringGeneration
        for event in store.reloadIfChanged() {
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
        if store.snapshot.keyringGeneration != before { cache.removeAll() }
    }
}
