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
        let app = try buildApplication(configuration, ledger: ledger, logger: logger)
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        logger.notice("stopped")
    }
}
