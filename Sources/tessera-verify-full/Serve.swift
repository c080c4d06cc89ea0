import ArgumentParser
import TesseraCLI
import TesseraCore
import TesseraGateway
import TesseraVerifyCLI

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: VerifyCommand.serveAbstract,
        discussion: """
        Endpoints: ANY /verify and /verify/* (200 allowed, 401 no or bad token, 403 refused, \
        503 cannot decide), GET/POST /join (redeem from a link page, set the cookie, 303 to \
        --redirect), GET /healthz, GET /metrics (Prometheus). Edits of the revocation list file \
        and the keys folder take effect within a second; a list published at a URL is fetched \
        every --revoked-refresh. A broken edit or a failed fetch keeps the last good copy and is \
        reported on /healthz. SIGTERM or SIGINT stops after the requests in flight.
        """
    )

    @OptionGroup var verifier: VerifierOptions

    @OptionGroup var ledgerOptions: LedgerOptions

    @Option(name: .long, help: ArgumentHelp("How often a --revoked URL is fetched again, e.g. 30s or 5m (default 60s); a failed fetch keeps the last good list and shows on /healthz.", valueName: "span"))
    var revokedRefresh: String?

    @Option(name: .long, help: ArgumentHelp("Where to listen: HOST:PORT, [IPV6]:PORT or :PORT (default 127.0.0.1:8080).", valueName: "address"))
    var listen: String?

    @Option(name: .long, help: ArgumentHelp("The header in which the proxy names the signed-in user, e.g. X-Forwarded-User; believed only from --trusted-proxy peers.", valueName: "name"))
    var identityHeader: String?

    @Option(name: .long, help: ArgumentHelp("A proxy address or CIDR range whose forwarded headers are believed; repeatable (default: 127.0.0.0/8 and ::1).", valueName: "cidr"))
    var trustedProxy: [String] = []

    @Option(name: .long, help: ArgumentHelp("Where the project sits in the original URI, e.g. '/projects/{project}/'; a URI that does not fit is refused.", valueName: "template"))
    var projectFromPath: String?

    @Option(name: .long, help: ArgumentHelp("The one header in which a trusted proxy passes the client's URI (default X-Forwarded-Uri, as the README's recipes set it); two forwarded-URI headers that disagree are refused.", valueName: "name"))
    var forwardedURIHeader: String?

    @Option(name: .long, help: ArgumentHelp("An origin (https://host[:port]) besides the gateway's own and base_url's from which POST /join is accepted; repeatable.", valueName: "origin"))
    var joinOrigin: [String] = []

    @Option(name: .long, help: ArgumentHelp("Where /join sends the browser after joining; {project} and {jti} are filled in (default /).", valueName: "url"))
    var redirect: String?

    @Option(name: .long, help: ArgumentHelp("When cookies get the Secure attribute: auto (when X-Forwarded-Proto is https), always or never.", valueName: "mode"))
    var cookieSecure: String?

    @Option(name: .long, help: ArgumentHelp("The most verified signatures kept in memory; 0 turns the cache off (default 4096).", valueName: "n"))
    var cacheSize: Int?

    @Option(name: .long, help: ArgumentHelp("The most bytes of request URI and headers; a bigger request is refused with 431 (default 32768).", valueName: "n"))
    var maxHeaderBytes: Int?

    @Option(name: .long, help: ArgumentHelp("The longest a client may take to send one request, head and body, or leave an answer unread, e.g. 10s (default 10s); a slower one is disconnected.", valueName: "span"))
    var readTimeout: String?

    @Option(name: .customLong("on-join"), help: ArgumentHelp("POST each new membership here as signed JSON, at least once and in commit order (needs --on-join-secret).", valueName: "url"))
    var onJoin: String?

    @Option(name: .customLong("on-join-secret"), help: ArgumentHelp("The file holding the shared secret that signs --on-join events (HMAC-SHA256); it must not be readable by group or others.", valueName: "file"))
    var onJoinSecret: String?

    @Option(name: .long, help: ArgumentHelp("Event loop threads (default: half the cores, at least 1, leaving the rest to the proxy).", valueName: "n"))
    var threads: Int?

    @Option(name: .long, help: ArgumentHelp("Log level: \(Gateway.logLevels.joined(separator: ", ")).", valueName: "level"))
    var logLevel: String = "info"

    func run() async throws {
        let site = verifier.site.folder
        let settings = try verifier.site.settings()
        let configuration = try makeConfiguration(settings: settings)
        guard Gateway.logLevels.contains(logLevel) else {
            throw CommandLineError("--log-level: \"\(logLevel)\" is not a log level", hint: "use one of \(Gateway.logLevels.joined(separator: ", "))")
        }
        let ledger = try await LedgerOptions.open(try ledgerOptions.location(in: site))
        do {
            try await Gateway.serve(configuration, ledger: ledger, logLevel: logLevel)
        } catch let error as GatewayError {
            throw CommandLineError(error.message, hint: error.hint)
        } catch {
            throw CommandLineError("cannot serve on \(configuration.listen): \(error)", hint: "choose another --listen address or stop what is using it")
        }
    }

    /// Reads the `--on-join` secret: a file only its owner can read, holding at least 16 bytes (a final newline is not part of it).
    static func readSecret(_ path: String, source: String) throws(CommandLineError) -> [UInt8] {
        guard let mode = FileSystem.permissions(of: path) else {
            throw CommandLineError("\(source): cannot read \(path): no such file", hint: "create it with: head -c 32 /dev/urandom | base64 > \(path); chmod 600 \(path)")
        }
        guard mode & 0o077 == 0 else {
            throw CommandLineError("\(source): \(path) is readable by group or others (mode \(String(mode & 0o777, radix: 8)))", hint: "chmod 600 \(path)")
        }
        var bytes: [UInt8]
        do {
            bytes = try FileSystem.read(path, limit: 4096)
        } catch {
            throw CommandLineError("\(source): \(error.description)")
        }
        while let last = bytes.last, last == 0x0a || last == 0x0d { bytes.removeLast() }
        guard bytes.count >= 16 else {
            throw CommandLineError("\(source): \(path) holds fewer than 16 bytes: too short to be a secret", hint: "head -c 32 /dev/urandom | base64 > \(path)")
        }
        return bytes
    }

    /// The gateway settings: each flag, else its `tessera.toml` value, else the default; a malformed value is a usage error naming its flag or key.
    func makeConfiguration(settings: Settings = Settings()) throws(CommandLineError) -> GatewayConfiguration {
        let table = settings.gateway
        let file = verifier.site.folder.settings
        // Where a value came from, for the error message.
        func origin(_ flag: String, _ key: String, flagGiven: Bool) -> String { flagGiven ? flag : settings.origin("gateway." + key, in: file) }

        var configuration = GatewayConfiguration()
        configuration.site = verifier.site.folder
        if verifier.revoked != nil || settings.revoked != nil { configuration.revocationSource = try verifier.revocationSource() }
        if let revokedRefresh {
            let seconds = try OptionValue.seconds(revokedRefresh, flag: "--revoked-refresh")
            guard Settings.Gateway.revokedRefreshRange.contains(seconds) else { throw CommandLineError("--revoked-refresh: must be from 1s to 1d") }
            configuration.remoteRefresh = .seconds(seconds)
        } else if let seconds = table.revokedRefresh {
            configuration.remoteRefresh = .seconds(seconds)
        }
        configuration.audience = verifier.audience ?? settings.audience
        configuration.leeway = try OptionValue.seconds(verifier.leeway, flag: "--leeway")
        configuration.allowsSignup = try verifier.allowsSignup()
        if let text = listen ?? table.listen {
            guard let address = ListenAddress(parsing: text) else {
                throw CommandLineError("\(origin("--listen", "listen", flagGiven: listen != nil)): \(Settings.quoted(text)) is not HOST:PORT",
                                       hint: "for example 127.0.0.1:9000 or [::1]:9000")
            }
            configuration.listen = address
        }
        configuration.identityHeader = identityHeader ?? table.identityHeader
        let proxies = trustedProxy.isEmpty ? (table.trustedProxies ?? []) : trustedProxy
        if !proxies.isEmpty {
            let source = origin("--trusted-proxy", "trusted_proxies", flagGiven: !trustedProxy.isEmpty)
            configuration.trustedProxies = try proxies.map { (text) throws(CommandLineError) in
                guard let range = AddressRange(text) else {
                    throw CommandLineError("\(source): \(Settings.quoted(text)) is not an IP address or CIDR range", hint: "for example 10.0.0.0/8 or ::1")
                }
                return range
            }
        }
        if let text = projectFromPath ?? table.projectFromPath {
            do {
                configuration.projectFromPath = try ProjectPathTemplate(text)
            } catch {
                guard case .invalid(let why) = error else { throw CommandLineError("invalid project template") }
                throw CommandLineError("\(origin("--project-from-path", "project_from_path", flagGiven: projectFromPath != nil)): \(why)",
                                       hint: "for example '/projects/{project}/'")
            }
        }
        if let text = forwardedURIHeader ?? table.forwardedURIHeader {
            guard GatewayConfiguration.isValidHeaderName(text) else {
                throw CommandLineError("\(origin("--forwarded-uri-header", "forwarded_uri_header", flagGiven: forwardedURIHeader != nil)): \"\(text)\" is not a header name",
                                       hint: "for example X-Forwarded-Uri or X-Original-URI")
            }
            configuration.forwardedURIHeader = text
        }
        // POST /join is accepted from the gateway's own origin, base_url's (the link pages') and these.
        var origins: [String] = []
        if let base = settings.baseURL, let own = GatewayConfiguration.origin(of: base) { origins.append(own) }
        let extra = joinOrigin.isEmpty ? (table.joinOrigins ?? []) : joinOrigin
        for text in extra {
            guard let parsed = GatewayConfiguration.origin(of: text) else {
                throw CommandLineError("\(origin("--join-origin", "join_origins", flagGiven: !joinOrigin.isEmpty)): \"\(text)\" is not an origin",
                                       hint: "write it as https://www.example.org (scheme, host and an optional port)")
            }
            origins.append(parsed)
        }
        configuration.joinOrigins = origins
        if let text = redirect ?? table.redirect {
            // Checked here for the flag as tessera.toml checks its line: a placeholder nothing fills would reach every browser raw.
            if let problem = Settings.checkPlaceholders(text, key: "--redirect") { throw CommandLineError(problem) }
            configuration.redirect = text
        }
        if let cookieSecure {
            guard let mode = GatewayConfiguration.CookieSecurity(rawValue: cookieSecure) else {
                throw CommandLineError("--cookie-secure: \"\(cookieSecure)\" is not auto, always or never")
            }
            configuration.cookieSecurity = mode
        }
        if let cacheSize {
            guard cacheSize >= 0 else { throw CommandLineError("--cache-size: must be 0 or more") }
            configuration.signatureCacheSize = cacheSize
        }
        if let bytes = maxHeaderBytes ?? table.maxHeaderBytes {
            let range = Settings.Gateway.maxHeaderBytesRange
            guard range.contains(bytes) else { throw CommandLineError("--max-header-bytes: must be between \(range.lowerBound) and \(range.upperBound)") }
            configuration.maxHeaderBytes = bytes
        }
        if let text = readTimeout {
            let range = Settings.Gateway.readTimeoutRange
            let seconds = try OptionValue.seconds(text, flag: "--read-timeout")
            guard range.contains(seconds) else { throw CommandLineError("--read-timeout: must be between \(range.lowerBound)s and \(range.upperBound)s") }
            configuration.readTimeout = .seconds(seconds)
        } else if let seconds = table.readTimeout {
            configuration.readTimeout = .seconds(seconds)
        }
        if let url = onJoin ?? table.onJoin {
            let source = origin("--on-join", "on_join", flagGiven: onJoin != nil)
            guard url.hasPrefix("https://") || url.hasPrefix("http://"), RemoteURL(url) != nil else {
                throw CommandLineError("\(source): \"\(url)\" is not an http(s):// address", hint: "for example https://app.example.org/hooks/tessera")
            }
            guard let file = onJoinSecret ?? table.onJoinSecret.map({ verifier.site.folder.path($0) }) else {
                throw CommandLineError("\(source): events must be signed: give --on-join-secret FILE (or on_join_secret in [gateway])",
                                       hint: "for example: head -c 32 /dev/urandom | base64 > state/on-join.secret; chmod 600 state/on-join.secret")
            }
            configuration.onJoin = OnJoinTarget(url: url, secret: try Self.readSecret(file, source: onJoinSecret != nil ? "--on-join-secret" : "\(file): [gateway] on_join_secret"))
        } else if onJoinSecret != nil {
            throw CommandLineError("--on-join-secret: only meaningful with --on-join URL")
        }
        if let threads {
            guard (1...256).contains(threads) else { throw CommandLineError("--threads: must be between 1 and 256") }
            configuration.threads = threads
        }
        return configuration
    }
}
