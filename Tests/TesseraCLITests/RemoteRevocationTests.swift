import Foundation
import Testing
import TesseraTestSupport

/// `--revoked URL`: a verifier on another machine follows the `revoked.paseto` that `tessera build`
/// publishes, here served by a real nginx over http and https (a test CA made with openssl).
@Suite(.serialized, .offThePool) struct RemoteRevocationTests {
    static let nginx = ExternalTool(name: "nginx", package: "nginx")
    static let listPath = "/.well-known/tessera/revoked.paseto"

    /// The claims of a published `revoked.paseto` (the signature is not checked here; `check` does that).
    static func listClaims(_ token: String) throws -> [String: Any] {
        let body = try #require(token.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").dropFirst(2).first)
        var text = body.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        let bytes = try #require(Data(base64Encoded: text))
        return try #require(try JSONSerialization.jsonObject(with: bytes.dropLast(64)) as? [String: Any])
    }

    @Test func revokedValidForGivesThePublishedListAnExp() throws { try Self.revokedValidForBody() }
    private static func revokedValidForBody() throws {
        let site = try TemporaryFolder()
        #expect(try Binary.tessera("keys", "new", in: site.url).status == 0)
        let token = try Sites.mint(in: site).token
        // Off by default: a site built once keeps working.
        #expect(try Binary.tessera("build", in: site.url).status == 0)
        #expect(try listClaims(site.read("out" + listPath))["exp"] == nil)
        try site.write("tessera.toml", "revoked_valid_for = \"7d\"\n")
        let built = try Binary.tessera("build", in: site.url)
        #expect(built.status == 0, "\(built.stderr)")
        let claims = try listClaims(site.read("out" + listPath))
        let iat = try #require(claims["iat"] as? String), exp = try #require(claims["exp"] as? String)
        let format = ISO8601DateFormatter()
        let span = try #require(format.date(from: exp)).timeIntervalSince(try #require(format.date(from: iat)))
        #expect(span == 7 * 86_400)
        let checked = try Binary.verify("check", "--revoked", site.file("out" + listPath).path, token, in: site.url)
        #expect(checked.status == 0, "\(checked.stderr)")
        try site.write("tessera.toml", "revoked_valid_for = \"soon\"\n")
        #expect(try Binary.tessera("build", in: site.url).status == 2)
    }

    /// The minting site with two invitations, one revoked and published; and a verifier's folder holding only the public key.
    struct Sites {
        let minting: TemporaryFolder
        let verifier: TemporaryFolder
        let revokedToken: String
        let validToken: String
        let validID: String

        init() throws {
            minting = try TemporaryFolder()
            #expect(try Binary.tessera("keys", "new", in: minting.url).status == 0)
            let revoked = try Self.mint(in: minting)
            let valid = try Self.mint(in: minting)
            revokedToken = revoked.token
            validToken = valid.token
            validID = valid.id
            verifier = try TemporaryFolder()
            try verifier.write("keys/main.public.pem", minting.read("keys/main.public.pem"))
            #expect(try Binary.tessera("revoke", revoked.id, in: minting.url).status == 0)
            try publish()
        }

        static func mint(in folder: TemporaryFolder) throws -> (id: String, token: String) {
            // Anonymous, so that the gateway admits it without a signed-in user.
            let result = try Binary.tessera("mint", "--json", "--project", "lab", "--role", "viewer", "--anonymous", in: folder.url)
            let object = try #require(result.json, "mint failed: \(result.stderr)")
            return (try #require(object["id"] as? String), try #require(object["token"] as? String))
        }

        /// `tessera build`: re-signs `out/.well-known/tessera/revoked.paseto`.
        func publish() throws {
            let built = try Binary.tessera("build", in: minting.url)
            #expect(built.status == 0, "build failed: \(built.stderr)")
        }

        func check(_ token: String, revoked: String, environment: [String: String] = [:]) throws -> Binary.Result {
            try Binary.run("tessera-verify", ["check", "--json", "--site", verifier.path, "--revoked", revoked, token], environment: environment)
        }
    }

    /// nginx serving the minting site's `out/` on an http and an https port, stopped when the value goes away.
    final class StaticHost {
        let process = Process()
        let folder: TemporaryFolder
        let httpPort: Int
        let httpsPort: Int
        /// The test CA that signed the https certificate (for the name localhost only).
        let authority: String

        init(nginx: String, root: String) throws {
            folder = try TemporaryFolder()
            httpPort = try freeLoopbackPort()
            httpsPort = try freeLoopbackPort()
            let dir = folder.path
            authority = dir + "/ca.pem"
            try folder.write("server.ext", "basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost\n")
            for arguments in [
                ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", dir + "/ca.key",
                 "-out", authority, "-days", "2", "-subj", "/CN=Tessera test CA",
                 "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"],
                ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", dir + "/server.key",
                 "-out", dir + "/server.csr", "-subj", "/CN=localhost"],
                ["x509", "-req", "-in", dir + "/server.csr", "-CA", authority, "-CAkey", dir + "/ca.key", "-CAcreateserial",
                 "-out", dir + "/server.pem", "-days", "2", "-extfile", dir + "/server.ext"],
            ] {
                let made = try ExternalTool.openssl.run(arguments)
                try #require(made.status == 0, "openssl \(arguments[0]) failed: \(made.stderr)")
            }
            try folder.write("nginx.conf", """
                worker_processes 1;
                pid \(dir)/nginx.pid;
                error_log \(dir)/error.log;
                events { worker_connections 64; }
                http {
                    access_log off;
                    client_body_temp_path \(dir)/body; proxy_temp_path \(dir)/proxy;
                    fastcgi_temp_path \(dir)/fcgi; uwsgi_temp_path \(dir)/uwsgi; scgi_temp_path \(dir)/scgi;
                    default_type application/octet-stream;
                    server {
                        listen 127.0.0.1:\(httpPort);
                        root \(root);
                        location = /old { return 301 \(RemoteRevocationTests.listPath); }
                        location = /loop { return 302 /loop; }
                    }
                    server {
                        listen 127.0.0.1:\(httpsPort) ssl;
                        ssl_certificate \(dir)/server.pem;
                        ssl_certificate_key \(dir)/server.key;
                        root \(root);
                        location = /down { return 302 http://127.0.0.1:\(httpPort)\(RemoteRevocationTests.listPath); }
                    }
                }

                """)
            process.executableURL = URL(fileURLWithPath: nginx)
            process.arguments = ["-p", dir, "-c", dir + "/nginx.conf", "-e", dir + "/error.log", "-g", "daemon off;"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let end = Date().addingTimeInterval(10)
            while (try? HTTP.request(port: httpPort, "GET / HTTP/1.0\r\n\r\n", timeout: 2)) == nil, Date() < end {
                Thread.sleep(forTimeInterval: 0.05)
            }
        }

        /// The address of `path`: http on 127.0.0.1, or https on localhost, the name the certificate is for.
        func url(_ path: String = RemoteRevocationTests.listPath, secure: Bool = false, host: String? = nil) -> String {
            "\(secure ? "https" : "http")://\(host ?? (secure ? "localhost" : "127.0.0.1")):\(secure ? httpsPort : httpPort)\(path)"
        }

        func stop() {
            guard process.isRunning else { return }
            process.terminate()
            process.waitUntilExit()
        }

        deinit { stop() }
    }

    /// The two sites, with the minting site's `out/` served by nginx; nil when nginx or openssl is missing (a failure under CI).
    private func publishedSite() throws -> (Sites, StaticHost)? {
        guard let nginx = Self.nginx.require(), ExternalTool.openssl.require() != nil else { return nil }
        let sites = try Sites()
        return (sites, try StaticHost(nginx: nginx, root: sites.minting.file("out").path))
    }

    private func reason(_ result: Binary.Result) -> String? { result.json?["reason"] as? String }
    private func message(_ result: Binary.Result) -> String { (result.json?["error"] as? String) ?? result.stderr }

    @Test(.timeLimit(.minutes(2)))
    func checkFollowsThePublishedList() throws { try checkFollowsThePublishedListBody() }
    private func checkFollowsThePublishedListBody() throws {
        guard let (sites, host) = try publishedSite() else { return }
        defer { host.stop() }

        // Over http: the revoked invitation is refused, the other is valid, and the list's time is remembered.
        let revoked = try sites.check(sites.revokedToken, revoked: host.url())
        #expect(revoked.status == 13, "\(revoked.stdout) \(revoked.stderr)")
        #expect(reason(revoked) == "revoked")
        #expect(try sites.check(sites.validToken, revoked: host.url()).status == 0)
        #expect(FileManager.default.fileExists(atPath: sites.verifier.file("state/revocation-list.iat").path))
        // The same address set once in the verifier's tessera.toml.
        try sites.verifier.write("tessera.toml", "revoked = \"\(host.url())\"\n")
        #expect(try Binary.verify("check", "--site", sites.verifier.path, sites.revokedToken).status == 13)
        try sites.verifier.write("tessera.toml", "")

        // A redirect within the host is followed; one that never ends is not.
        #expect(try sites.check(sites.revokedToken, revoked: host.url("/old")).status == 13)
        let loop = try sites.check(sites.validToken, revoked: host.url("/loop"))
        #expect(loop.status == 2)
        #expect(message(loop).contains("redirects"))

        // Over https with the test CA trusted through SSL_CERT_FILE, as curl and OpenSSL read it.
        let trusted = ["SSL_CERT_FILE": host.authority]
        #expect(try sites.check(sites.revokedToken, revoked: host.url(secure: true), environment: trusted).status == 13)
        // Fail closed: an unknown CA, a certificate for another name, a downgrade to http.
        let untrusted = try sites.check(sites.validToken, revoked: host.url(secure: true))
        #expect(untrusted.status == 2)
        #expect(message(untrusted).contains("TLS"), "\(message(untrusted))")
        let wrongName = try sites.check(sites.validToken, revoked: host.url(secure: true, host: "127.0.0.1"), environment: trusted)
        #expect(wrongName.status == 2)
        let downgrade = try sites.check(sites.validToken, revoked: host.url("/down", secure: true), environment: trusted)
        #expect(downgrade.status == 2)
        #expect(message(downgrade).contains("refusing a redirect from https"))

        // Fail closed: nothing there, an unsigned list, a list too large to be one, nobody listening.
        let missing = try sites.check(sites.validToken, revoked: host.url("/nothing.paseto"))
        #expect(missing.status == 2)
        #expect(message(missing).contains("404"))
        try FileManager.default.copyItem(at: sites.minting.file("revoked.txt"), to: sites.minting.file("out/revoked.txt"))
        let unsigned = try sites.check(sites.validToken, revoked: host.url("/revoked.txt"))
        #expect(unsigned.status == 2)
        #expect(message(unsigned).contains("not a signed revocation list"))
        try sites.minting.write("out/huge.paseto", "v4.public." + String(repeating: "A", count: 17 << 20))
        let huge = try sites.check(sites.validToken, revoked: host.url("/huge.paseto"))
        #expect(huge.status == 2)
        #expect(message(huge).contains("larger than"))
        let closed = try sites.check(sites.validToken, revoked: "http://127.0.0.1:\(try freeLoopbackPort())/revoked.paseto")
        #expect(closed.status == 2)

        // Rollback: once a newer list has been seen, the older one it replaced is refused.
        let older = try sites.minting.read("out/.well-known/tessera/revoked.paseto")
        Thread.sleep(forTimeInterval: 1.1)  // `iat` counts whole seconds
        try sites.publish()
        #expect(try sites.check(sites.validToken, revoked: host.url()).status == 0)
        try sites.minting.write("out/.well-known/tessera/revoked.paseto", older)
        let rollback = try sites.check(sites.validToken, revoked: host.url())
        #expect(rollback.status == 2)
        #expect(message(rollback).contains("rollback"))
    }

    /// An outside review: a list server that sent its head and then a byte every two seconds held one
    /// fetch open for eight minutes, and with it every refresh of a gateway (new revocations did not
    /// arrive, `/healthz` said ok) or a `check`. The whole fetch is now bounded (`HTTPFetcher.timeout`).
    @Test(.timeLimit(.minutes(2)))
    func aListServerThatTricklesItsAnswerIsGivenUpAtTheDeadline() throws {
        let sites = try Sites()
        let host = try TricklingHost()
        defer { host.stop() }
        let started = Date()
        let result = try sites.check(sites.validToken, revoked: "http://127.0.0.1:\(host.port)\(Self.listPath)")
        let took = Date().timeIntervalSince(started)
        #expect(result.status == 2, "a list that never arrived must not let the token through: \(result.status)")
        #expect(message(result).contains("no whole answer within 15 s"), "\(message(result))")
        // The trickle would take 140 s to send its 280 bytes.
        #expect(took < 45, "check waited \(took) s for the trickle")
        #expect(host.bytesSent > 0, "the server never started its answer")
    }

    /// A loopback HTTP server that answers every request with a 200 head for a 280-byte body, then sends one byte every half second.
    final class TricklingHost: @unchecked Sendable {
        let port: Int
        private let listener: Int32
        private let lock = NSLock()
        private var sent = 0
        private var stopped = false

        var bytesSent: Int { lock.withLock { sent } }

        init() throws {
            port = try freeLoopbackPort()
            listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var yes: Int32 = 1
            setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0, listen(listener, 16) == 0 else { throw HTTP.Failure("cannot listen on 127.0.0.1:\(port)") }
            Thread { [self] in serve() }.start()
        }

        private func serve() {
            while true {
                let client = accept(listener, nil, nil)
                if client < 0 { return }
                Thread { [self] in trickle(to: client) }.start()
            }
        }

        private func trickle(to client: Int32) {
            defer { close(client) }
            var request = [UInt8](repeating: 0, count: 4096)
            guard recv(client, &request, request.count, 0) > 0 else { return }
            let head = Array("HTTP/1.1 200 OK\r\nContent-Type: application/paseto\r\nContent-Length: 280\r\n\r\n".utf8)
            guard send(client, head, head.count, Int32(MSG_NOSIGNAL)) == head.count else { return }
            for _ in 0..<280 {
                Thread.sleep(forTimeInterval: 0.5)
                guard !lock.withLock({ stopped }), send(client, "A", 1, Int32(MSG_NOSIGNAL)) == 1 else { return }
                lock.withLock { sent += 1 }
            }
        }

        func stop() {
            lock.withLock { stopped = true }
            shutdown(listener, Int32(SHUT_RDWR))
            close(listener)
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func gatewayFetchesTheListAgain() throws { try gatewayFetchesTheListAgainBody() }
    private func gatewayFetchesTheListAgainBody() throws {
        guard let (sites, host) = try publishedSite() else { return }
        defer { host.stop() }
        try sites.verifier.write("tessera.toml", "[gateway]\nrevoked_refresh = \"1s\"\n")
        let gateway = try GatewayProcess(site: sites.verifier, ledger: "sqlite:" + sites.verifier.file("state/ledger.sqlite").path,
                                         extra: ["--revoked", host.url()])
        try gateway.waitUntilReady()

        func verify(_ token: String) throws -> Int {
            try HTTP.request(port: gateway.port, "GET /verify HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer \(token)\r\nConnection: close\r\n\r\n").status
        }
        #expect(try verify(sites.validToken) == 200)
        #expect(try verify(sites.revokedToken) == 403)

        // Revoked and published at the minting site: the gateway refuses it after its next fetch.
        #expect(try Binary.tessera("revoke", sites.validID, in: sites.minting.url).status == 0)
        Thread.sleep(forTimeInterval: 1.1)  // a newer `iat` than the list the gateway holds
        try sites.publish()
        var status = try verify(sites.validToken)
        let end = Date().addingTimeInterval(15)
        while status == 200, Date() < end {
            Thread.sleep(forTimeInterval: 0.2)
            status = try verify(sites.validToken)
        }
        #expect(status == 403, "the published revocation never reached the gateway")

        // The host goes away: the last good list stays in force, and /healthz says the fetch failed.
        host.stop()
        var health = ""
        let until = Date().addingTimeInterval(15)
        while !health.contains("\"degraded\""), Date() < until {
            Thread.sleep(forTimeInterval: 0.2)
            health = try HTTP.request(port: gateway.port, "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", untilClose: true).head
        }
        #expect(health.contains("\"degraded\""), "\(health)")
        #expect(health.contains(host.url()))
        #expect(try verify(sites.validToken) == 403)
        #expect(try verify(sites.revokedToken) == 403)
    }
}
