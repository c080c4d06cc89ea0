import Foundation
import Testing
import TesseraTestSupport
import Hummingbird
import Logging

/// A real reverse proxy (nginx, Caddy or Traefik) on loopback free ports in a temporary folder, configured as
/// the README's recipe, with a stand-in login (`X-Test-Login` plays the part of an SSO module) and a
/// stand-in app that echoes the identity it receives. Stopped by its pid, never by name.
final class LiveProxy: @unchecked Sendable {
    enum Kind: String, CaseIterable, Sendable, CustomStringConvertible {
        case nginx, caddy, traefik
        var description: String { rawValue }

        var tool: ExternalTool {
            switch self {
            case .nginx: .nginx
            case .caddy: .caddy
            case .traefik: .traefik
            }
        }
    }

    let kind: Kind
    /// The port clients talk to.
    let port: Int
    let folder: String
    private let process: Process
    private let standIn: LiveServer?

    private init(kind: Kind, port: Int, folder: String, process: Process, standIn: LiveServer?) {
        self.kind = kind
        self.port = port
        self.folder = folder
        self.process = process
        self.standIn = standIn
    }

    /// Starts `kind` in front of the gateway on `gatewayPort`; nil (after recording why under CI) when the tool is missing.
    static func start(_ kind: Kind, gatewayPort: Int, in folder: String) async throws -> LiveProxy? {
        guard let executable = kind.tool.require() else { return nil }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let port = try freeLoopbackPort()
        var standIn: LiveServer?
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        let log = FileHandle(forWritingAtPath: folder + "/stderr.log") ?? {
            FileManager.default.createFile(atPath: folder + "/stderr.log", contents: nil)
            return FileHandle(forWritingAtPath: folder + "/stderr.log")!
        }()
        process.standardOutput = log
        process.standardError = log
        var ports = [port]
        switch kind {
        case .nginx:
            let appPort = try freeLoopbackPort()
            ports.append(appPort)
            let config = folder + "/nginx.conf"
            try NginxTests.configuration(folder: folder, proxyPort: port, appPort: appPort, gatewayPort: gatewayPort)
                .write(toFile: config, atomically: true, encoding: .utf8)
            process.arguments = ["-p", folder, "-c", config, "-e", folder + "/error.log", "-g", "daemon off;"]
        case .caddy:
            let appPort = try freeLoopbackPort()
            ports.append(appPort)
            let config = folder + "/Caddyfile"
            try caddyfile(folder: folder, proxyPort: port, appPort: appPort, gatewayPort: gatewayPort).write(toFile: config, atomically: true, encoding: .utf8)
            process.arguments = ["run", "--config", config, "--adapter", "caddyfile"]
            // Its own data and config folders: nothing of a system instance is read or written.
            process.environment = ["HOME": folder, "XDG_DATA_HOME": folder + "/data", "XDG_CONFIG_HOME": folder + "/config", "PATH": "/usr/bin:/bin"]
        case .traefik:
            let (task, standInPort) = try await StandIn.start()
            standIn = task
            ports.append(standInPort)
            let staticConfig = folder + "/traefik.yml", dynamic = folder + "/dynamic.yml"
            try traefikStatic(proxyPort: port, dynamic: dynamic, folder: folder).write(toFile: staticConfig, atomically: true, encoding: .utf8)
            try traefikDynamic(standInPort: standInPort, gatewayPort: gatewayPort).write(toFile: dynamic, atomically: true, encoding: .utf8)
            process.arguments = ["--configFile=" + staticConfig]
            process.environment = ["HOME": folder, "PATH": "/usr/bin:/bin"]
        }
        try process.run()
        let proxy = LiveProxy(kind: kind, port: port, folder: folder, process: process, standIn: standIn)
        // A start-up wait, not a check: Traefik from PyPI starts through pyenv's shims and Python, which took over 20 s
        // in a fresh-clone CI's ASan pass (every test running beside it), with nothing in its log.
        let listening = await waitUntil(.seconds(60)) { ports.allSatisfy(RawHTTP.isListening(port:)) }
        guard listening != nil else {
            proxy.stop()
            throw RawHTTP.Failure(description: "\(kind) did not start: \(proxy.logs)")
        }
        // Traefik reads its file provider a moment after it listens: wait until the routes answer.
        if kind == .traefik {
            _ = await waitUntil(.seconds(20)) { ((try? await RawHTTP.perform(port: port, "GET", "/join"))?.status ?? 404) != 404 }
        }
        return proxy
    }

    /// Everything the proxy wrote, for failure messages.
    var logs: String {
        ["stderr.log", "error.log", "caddy.log"].compactMap { try? String(contentsOfFile: folder + "/" + $0, encoding: .utf8) }.joined(separator: "\n")
    }

    /// What the proxy wrote to its access log (nginx only), or nil when it has none.
    var accessLog: String? { try? String(contentsOfFile: folder + "/access.log", encoding: .utf8) }

    /// Stops the proxy by its pid and waits for it; stops the stand-in servers.
    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        standIn?.stop()
    }

    deinit { stop() }

    /// The README's Caddy recipe on loopback, plus the stand-in login and app.
    static func caddyfile(folder: String, proxyPort: Int, appPort: Int, gatewayPort: Int) -> String {
        """
        {
        \tadmin off
        \tauto_https off
        \tstorage file_system \(folder)/data
        \tlog {
        \t\toutput file \(folder)/caddy.log
        \t}
        }

        http://127.0.0.1:\(proxyPort) {
        \tbind 127.0.0.1
        \t@login header X-Test-Login *
        \t# `route` keeps the order as written (Caddy would otherwise run the matcher-less line last).
        \troute {
        \t\t# The recipe: the client's own identity header never reaches the gateway.
        \t\trequest_header -X-Forwarded-User
        \t\t# The stand-in login (an SSO module in real life) sets it for signed-in people only.
        \t\trequest_header @login X-Forwarded-User {http.request.header.X-Test-Login}
        \t\thandle /join {
        \t\t\treverse_proxy 127.0.0.1:\(gatewayPort)
        \t\t}
        \t\thandle {
        \t\t\tforward_auth 127.0.0.1:\(gatewayPort) {
        \t\t\t\turi /verify
        \t\t\t\tcopy_headers X-Auth-Request-User X-Tessera-Project X-Tessera-Role X-Tessera-Invitation
        \t\t\t}
        \t\t\treverse_proxy 127.0.0.1:\(appPort)
        \t\t}
        \t}
        }

        http://127.0.0.1:\(appPort) {
        \tbind 127.0.0.1
        \trespond "user={http.request.header.X-Auth-Request-User} project={http.request.header.X-Tessera-Project} role={http.request.header.X-Tessera-Role}" 200
        }

        """
    }

    /// Traefik's static configuration: one entry point on loopback, the file provider, and nothing that calls home.
    static func traefikStatic(proxyPort: Int, dynamic: String, folder: String) -> String {
        """
        global:
          checkNewVersion: false
          sendAnonymousUsage: false
        entryPoints:
          web:
            address: "127.0.0.1:\(proxyPort)"
        providers:
          file:
            filename: "\(dynamic)"
        log:
          level: ERROR
          filePath: "\(folder)/error.log"

        """
    }

    /// The README's Traefik recipe, with the stand-in login as a forwardAuth middleware and the stand-in app as the service.
    static func traefikDynamic(standInPort: Int, gatewayPort: Int) -> String {
        """
        http:
          middlewares:
            strip-identity:                     # the recipe: the client's own identity header never reaches the gateway
              headers:
                customRequestHeaders:
                  X-Forwarded-User: ""
            login:                              # the stand-in SSO: answers X-Forwarded-User for signed-in people only
              forwardAuth:
                address: "http://127.0.0.1:\(standInPort)/_login"
                authResponseHeaders: [X-Forwarded-User]
            tessera:
              forwardAuth:
                address: "http://127.0.0.1:\(gatewayPort)/verify"
                trustForwardHeader: false
                authResponseHeaders: [X-Auth-Request-User, X-Tessera-Project, X-Tessera-Role, X-Tessera-Invitation]
          routers:
            app:
              rule: "PathPrefix(`/`)"
              priority: 1
              entryPoints: [web]
              middlewares: [strip-identity, login, tessera]
              service: app
            tessera-join:
              rule: "Path(`/join`)"
              priority: 100
              entryPoints: [web]
              middlewares: [strip-identity, login]
              service: tessera
          services:
            app:
              loadBalancer:
                servers: [{url: "http://127.0.0.1:\(standInPort)"}]
            tessera:
              loadBalancer:
                servers: [{url: "http://127.0.0.1:\(gatewayPort)"}]

        """
    }
}

/// The stand-in login and app for proxies that cannot play them themselves: `/_login` answers 200 with
/// `X-Forwarded-User` taken from `X-Test-Login` (absent when it is absent); anything else echoes the identity it received.
enum StandIn {
    struct Handler<Context: RequestContext>: RouterMiddleware {
        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            var headers = HTTPFields()
            if request.uri.path == "/_login" {
                if let login = request.headers[header("X-Test-Login")] { headers[header("X-Forwarded-User")] = login }
                headers[.contentLength] = "0"
                return Response(status: .ok, headers: headers)
            }
            let value = { (name: String) in request.headers[header(name)] ?? "" }
            let text = "user=\(value("X-Auth-Request-User")) project=\(value("X-Tessera-Project")) role=\(value("X-Tessera-Role")) path=\(request.head.path ?? "")\n"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }

    /// Starts the stand-in on a free loopback port.
    static func start() async throws -> (LiveServer, Int) {
        let router = Router()
        router.add(middleware: Handler<BasicRequestContext>())
        var logger = Logger(label: "tessera.test.stand-in")
        logger.logLevel = .critical
        let standIn = try await LiveServer.start { running in
            Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                        onServerRunning: { channel in await running(channel.localAddress?.port ?? 0) }, logger: logger)
        }
        return (standIn, standIn.port)
    }
}
