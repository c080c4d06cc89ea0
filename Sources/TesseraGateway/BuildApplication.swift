import Hummingbird
import ServiceLifecycle
import Logging
import NIOCore
import TesseraCore

/// Builds the gateway: loads the keys and the revocation list, and wires the routes and the reload service.
///
/// A plain function, as in Hummingbird's template, so tests build it with their own
/// configuration and ledger and drive it with `app.test(.router)`.
///
/// - Parameters:
///   - configuration: listen address, trust and cookie settings, file locations.
///   - ledger: where acceptances are recorded; a throwing ledger makes every redeeming decision 503.
///   - logger: the log every request and reload writes to (never a token).
///   - onServerRunning: called with the bound port once the server accepts connections (useful with port 0).
///   - revocations: the list already fetched, when `configuration.revocationSource` is a URL (`Gateway.fetchRevocations`).
/// - Throws: `GatewayError` when the keys or the revocation list cannot be loaded at start-up.
public func buildApplication(
    _ configuration: GatewayConfiguration,
    ledger: any Ledger,
    revocations: RevocationSource.Loaded? = nil,
    logger: Logger = Logger(label: "tessera.gateway"),
    poster: JoinEventPoster? = nil,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) throws(GatewayError) -> some ApplicationProtocol {
    if let header = configuration.identityHeader, HeaderName(header) == nil {
        throw GatewayError("identity header \"\(header)\" is not a valid header name", hint: "use a name such as X-Forwarded-User or Remote-User")
    }
    if HeaderName(configuration.forwardedURIHeader) == nil {
        throw GatewayError("forwarded-URI header \"\(configuration.forwardedURIHeader)\" is not a valid header name", hint: "use a name such as X-Forwarded-Uri")
    }
    for name in [configuration.tokenCookie, configuration.anonymousCookie] where !Cookie.isValidName(name) {
        throw GatewayError("cookie name \"\(name)\" is not a valid cookie name", hint: "use letters, digits, '-' and '_'")
    }
    let store = try VerifierStore(configuration: configuration, fetched: revocations)
    let cache = SignatureCache(capacity: configuration.signatureCacheSize)
    let metrics = GatewayMetrics()
    let bell = JoinNotifier.Bell()
    let gatekeeper = Gatekeeper(store: store, cache: cache, ledger: ledger, metrics: metrics, logger: logger, onNewMember: { bell.ring() })
    let reader = RequestReader(configuration: configuration)

    let router = Router(context: GatewayContext.self)
    // The decision first: it sets its own Cache-Control and is the hot path, so it skips the extra layer.
    let verify = VerifyEndpoint(gatekeeper: gatekeeper, reader: reader)
    router.add(middleware: verify)
    router.add(middleware: NoStoreMiddleware())
    let join = JoinEndpoint(gatekeeper: gatekeeper, reader: reader)
    router.get(RouterPath(Gateway.joinPath), use: join.get)
    router.post(RouterPath(Gateway.joinPath), use: join.post)
    let health = HealthEndpoint(gatekeeper: gatekeeper)
    router.get("/healthz", use: health.health)
    router.get("/metrics", use: health.metrics)

    let reload = ReloadService(store: store, cache: cache, metrics: metrics, interval: configuration.reloadInterval,
                               remoteRefresh: configuration.remoteRefresh, logger: logger)
    var services: [any Service] = [reload]
    if let target = configuration.onJoin {
        guard let feed = ledger as? any MembershipFeed else {
            throw GatewayError("--on-join: this ledger keeps no event feed", hint: "use an SQLite or PostgreSQL ledger")
        }
        guard let post = poster ?? JoinNotifier.registeredPoster else {
            throw GatewayError("--on-join: this program cannot send HTTP requests", hint: "run tessera-verify serve")
        }
        services.append(JoinNotifier(feed: feed, target: target, post: post, metrics: metrics, logger: logger, wake: bell))
    }
    return Application(
        router: router,
        server: GatewayChannel.builder(configuration, verifyOnLoop: (verify, logger)),
        configuration: .init(address: .hostname(configuration.listen.host, port: configuration.listen.port), serverName: nil),
        services: services,
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.listen.port) },
        logger: logger
    )
}
