import Foundation
import Hummingbird
import Testing
import TesseraCore
import TesseraMint
@testable import TesseraGateway
import TesseraTestSupport

/// The gateway behind a real nginx (`auth_request`), in front of a stand-in app that echoes the identity it receives.
@Suite(.serialized, .offThePool) struct NginxTests {
    /// The nginx configuration of the README, on loopback ports, with a stand-in login: `X-Test-Login` plays the part of
    /// whatever authenticates people and becomes the identity header the gateway trusts.
    /// The README's nginx recipe, read out of the README itself (so what is tested is what is documented), with
    /// loopback ports and a stand-in login: `$sso_user` comes from `X-Test-Login`, as an SSO module's variable would.
    static func configuration(folder: String, proxyPort: Int, appPort: Int, gatewayPort: Int) throws -> String {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        guard let section = text.range(of: "### nginx (tested)"), let open = text.range(of: "```nginx\n", range: section.upperBound..<text.endIndex),
              let close = text.range(of: "\n```", range: open.upperBound..<text.endIndex) else {
            throw RawHTTP.Failure(description: "README.md has no ```nginx block under ### nginx (tested)")
        }
        var recipe = String(text[open.upperBound..<close.lowerBound])
        for (from, to) in [("listen 443 ssl;", "listen 127.0.0.1:\(proxyPort);"), ("server 127.0.0.1:9000;", "server 127.0.0.1:\(gatewayPort);"),
                           ("http://127.0.0.1:8081;", "http://127.0.0.1:\(appPort);")] {
            guard recipe.contains(from) else { throw RawHTTP.Failure(description: "the README nginx recipe no longer has \(from)") }
            recipe = recipe.replacingOccurrences(of: from, with: to)
        }
        return """
        worker_processes 1;
        pid \(folder)/nginx.pid;
        error_log \(folder)/error.log info;
        events { worker_connections 256; }
        http {
            access_log \(folder)/access.log;
            client_body_temp_path \(folder)/body;  proxy_temp_path \(folder)/proxy;
            fastcgi_temp_path \(folder)/fcgi; uwsgi_temp_path \(folder)/uwsgi; scgi_temp_path \(folder)/scgi;

            # The stand-in login: what an SSO module would set after checking who is signed in.
            map $http_x_test_login $sso_user { default $http_x_test_login; }

            server {   # the stand-in app: echoes what it was told
                listen 127.0.0.1:\(appPort);
                location / { return 200 "user=$http_x_auth_request_user project=$http_x_tessera_project role=$http_x_tessera_role invitation=$http_x_tessera_invitation login=$http_x_forwarded_user\\n"; }
            }

        \(recipe)
        }

        """
    }

    @Test(.enabled(if: ExternalTool.nginx.isAvailableOrRequired, "nginx is not installed: apt-get install -y nginx"), .timeLimit(.minutes(1)))
    func gatewayBehindNginx() async throws {
        guard let nginxPath = ExternalTool.nginx.require() else { return }
        let site = try TestSite()
        site.configuration.identityHeader = "X-Forwarded-User"
        site.configuration.reloadInterval = .milliseconds(200)

        let gateway = try await LiveServer.start { try site.application(onServerRunning: $0) }
        defer { gateway.stop() }
        let gatewayPort = gateway.port

        let folder = site.folder.appendingPathComponent("nginx").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let proxyPort = try freeLoopbackPort(), appPort = try freeLoopbackPort()
        let configPath = folder + "/nginx.conf"
        try Self.configuration(folder: folder, proxyPort: proxyPort, appPort: appPort, gatewayPort: gatewayPort)
            .write(toFile: configPath, atomically: true, encoding: .utf8)
        let nginx = Process()
        nginx.executableURL = URL(fileURLWithPath: nginxPath)
        nginx.arguments = ["-p", folder, "-c", configPath, "-e", folder + "/error.log", "-g", "daemon off;"]
        nginx.standardOutput = FileHandle.nullDevice
        nginx.standardError = FileHandle.nullDevice
        try nginx.run()
        defer {
            nginx.terminate()
            nginx.waitUntilExit()
        }
        let started = await waitUntil(patience) { RawHTTP.isListening(port: proxyPort) && RawHTTP.isListening(port: appPort) }
        try #require(started != nil, "nginx did not start: \((try? String(contentsOfFile: folder + "/error.log", encoding: .utf8)) ?? "")")

        func get(_ headers: [(String, String)], path: String = "/notes") async throws -> RawHTTP.Response {
            try await RawHTTP.perform(port: proxyPort, "GET", path, headers: headers)
        }

        // Valid: the app sees the identity the gateway vouched for, and a forged copy from the client never gets through.
        let alice = site.invitation(role: "editor", subject: "alice@example.org")
        // An outside review: the recipe once passed the client's own X-Forwarded-User and X-Tessera-Invitation to the app.
        let valid = try await get([("Authorization", "Bearer \(site.mint(alice))"), ("X-Test-Login", "alice@example.org"),
                             ("X-Auth-Request-User", "mallory"), ("X-Tessera-Role", "admin"),
                             ("X-Tessera-Invitation", "ForgedInvitationId0001"), ("X-Forwarded-User", "admin@example.org")])
        #expect(valid.status == 200)
        #expect(valid.body == "user=alice@example.org project=lab role=editor invitation=\(alice.id) login=alice@example.org\n")

        // No token, and a forged identity alone: 401 with the gateway's challenge; the app is never reached.
        let none = try await get([("X-Auth-Request-User", "mallory")])
        #expect(none.status == 401)
        #expect(none.header("WWW-Authenticate") == "Bearer realm=\"tessera\"")
        #expect(!none.body.contains("user="))

        // Expired: 401.
        let expired = try await get([("Authorization", "Bearer \(site.mint(site.invitation(anonymous: true, expiresIn: -3600, issuedAgo: 7200)))")])
        #expect(expired.status == 401)
        #expect(expired.header("WWW-Authenticate") == "Bearer realm=\"tessera\", error=\"invalid_token\"")

        // Revoked by editing the file while everything runs: 403 within one second.
        let open = site.invitation(anonymous: true)
        let openToken = site.mint(open)
        #expect(try await get([("Authorization", "Bearer \(openToken)")]).status == 200)
        try site.append("revoked.txt", "\(open.id)   # revoked during the test\n")
        let edited = try site.modificationTime("revoked.txt")
        let revokedAfter = try await waitUntil(patience) { try await get([("Authorization", "Bearer \(openToken)")]).status == 403 }
        #expect(revokedAfter != nil, "a revoked invitation was still admitted after the edit")
        // Within one second by the gateway's own clock (a parallel test run may slow the requests themselves).
        let metrics = try await RawHTTP.perform(port: gatewayPort, "GET", "/metrics").body
        let reloaded = try #require(metric("tessera_last_reload_timestamp_seconds", in: metrics))
        #expect(reloaded - edited < 1.0, "the revocation took \(reloaded - edited) s to take effect")

        // Used up: one use, taken by alice; bob is refused, alice still gets in.
        let once = site.mint(site.invitation(uses: 1))
        #expect(try await get([("Authorization", "Bearer \(once)"), ("X-Test-Login", "alice@example.org")]).status == 200)
        #expect(try await get([("Authorization", "Bearer \(once)"), ("X-Test-Login", "bob@example.org")]).status == 403)
        #expect(try await get([("Authorization", "Bearer \(once)"), ("X-Test-Login", "alice@example.org")]).status == 200)

        // Joining through nginx: the cookies it sets are all the browser needs afterwards.
        let talk = site.invitation(project: "talk", uses: 50, anonymous: true)
        let anonymous = site.mint(talk)
        let joined = try await RawHTTP.perform(port: proxyPort, "POST", "/join", headers: [
            ("Content-Type", "application/x-www-form-urlencoded"), ("Origin", "http://127.0.0.1:\(proxyPort)"),
        ], body: "token=\(anonymous)")
        #expect(joined.status == 303)
        let cookies = joined.headers(named: "Set-Cookie").map { String($0.prefix { $0 != ";" }) }
        #expect(cookies.count == 2)
        let back = try await get([("Cookie", cookies.joined(separator: "; "))])
        #expect(back.status == 200)
        #expect(back.body.hasPrefix("user=anon-"))
        #expect(back.body.hasSuffix(" project=talk role=viewer invitation=\(talk.id) login=\n"))

        // The Join page (what a link scanner fetching /join gets) through nginx: a form, nothing redeemed.
        let page = try await RawHTTP.perform(port: proxyPort, "GET", "/join")
        #expect(page.status == 200 && page.body.contains("<form method=\"post\""))

        // The verifier stops: nginx refuses (500), it never lets the request through.
        await gateway.stopAndWait()
        let down = try await get([("Authorization", "Bearer \(site.mint(site.invitation(anonymous: true)))")])
        #expect(down.status == 500)
        #expect(!down.body.contains("user="))

        // The token never reached nginx's access log: not through the join (a POST form, then a redirect that carries
        // no token) nor through the Join page's form. The log must exist and hold those requests, or this
        // check would pass on an empty file.
        let accessLog = try String(contentsOfFile: folder + "/access.log", encoding: .utf8)
        #expect(accessLog.contains("\"POST /join HTTP/1.0\" 303"), "the access log does not hold the join: \(accessLog.suffix(500))")
        #expect(accessLog.contains("\"GET /notes HTTP/1.0\" 200"))
        #expect(!accessLog.contains("v4.public."))
        #expect(!accessLog.contains(String(anonymous.dropFirst(10).prefix(40))), "a piece of the token is in the access log")
    }
}
