import Hummingbird
import Logging
import NIOCore
import TesseraCore

extension Gateway {
    /// The log levels `--log-level` accepts, quietest last.
    public static let logLevels = Logger.Level.allCases.map(\.rawValue)

    /// Runs the gateway until SIGTERM or SIGINT, then stops accepting, finishes the requests in flight, and returns.
    ///
    /// Logs go to standard error, one line per event with `key=value` metadata
    /// (`invitation.id`, `decision.reason`, …); tokens are never logged.
    public static func serve(_ configuration: GatewayConfiguration, ledger: any Ledger, logLevel: String = "info") async throws {
        // Set before anything touches the shared event loop group, which is created on first use with this many threads.
        NIOSingletons.groupLoopCountSuggestion = configuration.threads ?? GatewayConfiguration.defaultThreads
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "tessera.gateway")
        logger.logLevel = level
        if configuration.projectFromPath == nil {
            // Not an error (one app per gateway, or a proxy that sets X-Tessera-Project per location), but easy to miss.
            logger.warning("no --project-from-path: a request names no project unless the proxy sets X-Tessera-Project, and then an invitation to any project of this site admits")
        }
        if let target = configuration.onJoin, let feed = ledger as? any MembershipFeed {
            // Before the first request: a membership committed from now on is delivered, whenever the notifier first runs.
            do {
                _ = try await JoinNotifier.start(feed, sink: target.sink)
            } catch {
                throw GatewayError("--on-join: cannot read the event feed: \(error)", hint: nil)
            }
        }
        let app = try buildApplication(configuration, ledger: ledger, revocations: try await fetchRevocations(configuration), logger: logger)
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        logger.notice("stopped")
    }

    /// Fetches the first list when it is published at a URL (nil for a file, which the gateway reads itself).
    ///
    /// At start-up there is no last good copy to fall back on, so a failure stops the gateway.
    public static func fetchRevocations(_ configuration: GatewayConfiguration) async throws(GatewayError) -> RevocationSource.Loaded? {
        guard let source = configuration.revocationSource, case .url = source else { return nil }
        let keyring: Keyring
        do {
            keyring = try Keyring.load(directory: configuration.site.keys)
        } catch {
            throw GatewayError("cannot load the keys folder: \(error)", hint: error.hint)
        }
        do {
            return try await source.load(keyring: keyring, memo: RevocationSource.memo(for: configuration.site))
        } catch {
            throw GatewayError(error.description, hint: "check the address; the gateway does not start without the list")
        }
    }
}
