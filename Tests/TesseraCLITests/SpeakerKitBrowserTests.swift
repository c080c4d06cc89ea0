import Foundation
import Testing
import TesseraTestSupport

/// The speaker's kit in a real browser: the short link followed with JavaScript off, and the link
/// page printed to PDF (one page, no token).
@Suite(.offThePool) struct SpeakerKitBrowserTests {
    static let chromium = ExternalTool.chromium
    static let python = ExternalTool.python3
    static let pdfinfo = ExternalTool(name: "pdfinfo", package: "poppler-utils")
    static let pdftotext = ExternalTool(name: "pdftotext", package: "poppler-utils")
    static var isCI: Bool { ExternalTool.isCI }

    static func browser(_ profile: String) -> [String] {
        ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-domain-reliability",
         "--user-data-dir=\(profile)", "--hide-scrollbars"]
    }

    @Test(.timeLimit(.minutes(2)), .enabled(if: isCI || (chromium.path != nil && python.path != nil), "needs chromium and python3 (apt-get install chromium python3)"))
    func shortLinkLeadsToThePageWithJavaScriptOff() throws { try shortLinkBody() }
    private func shortLinkBody() throws {
        guard let browser = Self.chromium.require(), let python = Self.python.require() else { return }
        let site = try TemporaryFolder()
        // The port is in base_url, so the site is minted for it before the server starts. Another test can take a
        // free port in between (CI saw the server never answer): then the server exits, and it is all done again.
        var port = 0, id = "", shortURL = "", ready = false
        var server = Process()
        for _ in 0..<3 where !ready {
            port = try freeLoopbackPort()
            try site.write("tessera.toml", "base_url = \"http://127.0.0.1:\(port)/\"\njoin_url = \"https://gw.example.org/join\"\n")
            let minted = try Binary.tessera("mint", "--project", "talk", "--role", "viewer", "--label", "Room 2", "--short", "--json", in: site.url)
            #expect(minted.status == 0, "\(minted.stderr)")
            id = try #require(minted.json?["id"] as? String)
            shortURL = try #require(minted.json?["short_url"] as? String)

            // out/ served as a static host would, on loopback.
            server = Process()
            server.executableURL = URL(fileURLWithPath: python)
            server.arguments = ["-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", site.file("out").path]
            server.standardOutput = FileHandle.nullDevice
            server.standardError = FileHandle.nullDevice
            try server.run()
            for _ in 0..<200 where !ready && server.isRunning {
                ready = (try? HTTP.request(port: port, "GET /s/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", timeout: 2, untilClose: true)) != nil
                if !ready { Thread.sleep(forTimeInterval: 0.1) }
            }
            if !ready { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        }
        // By its pid and with SIGKILL: a child started from a test thread inherits that thread's blocked
        // SIGTERM, so terminate() left the server running and waitUntilExit() hung the whole test run.
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() } }
        #expect(ready, "the static server did not start")

        // JavaScript off as a person turns it off: the profile's content setting (blink's scriptEnabled=false
        // would also stop --dump-dom itself). Requests to anywhere but loopback land in the trap.
        try site.write("profile/Default/Preferences", #"{"profile":{"default_content_setting_values":{"javascript":2}}}"#)
        let trap = try ConnectionTrap()
        let arguments = Self.browser(site.file("profile").path) + [
            "--proxy-server=http://127.0.0.1:\(trap.port)",
            "--virtual-time-budget=5000", "--dump-dom", shortURL,
        ]
        let dom = try ExternalTool(name: browser, package: "chromium").run(arguments)
        #expect(dom.status == 0, "\(dom.stderr.suffix(500))")
        #expect(dom.stdout.contains("<title>Invitation to talk</title>"), "the browser did not land on the link page: \(dom.stdout.prefix(400))")
        #expect(dom.stdout.contains("Invitation \(id)."))
        #expect(dom.stdout.contains("<html lang=\"en\">"), "JavaScript was off, so the page's own script did not mark it")
        let fromPage = trap.requestTargets().filter { !BrowserTests.isBrowserService($0) }
        #expect(fromPage.isEmpty, "requests left loopback: \(fromPage)")
    }

    @Test(.enabled(if: isCI || (chromium.path != nil && pdfinfo.path != nil), "needs chromium and poppler-utils (apt-get install chromium poppler-utils)"))
    func linkPagePrintsOnOnePageWithoutTheToken() throws { try printBody() }
    private func printBody() throws {
        guard let browser = Self.chromium.require(), let pdfinfo = Self.pdfinfo.require(), let pdftotext = Self.pdftotext.require() else { return }
        let site = try TemporaryFolder()
        try site.write("tessera.toml", "base_url = \"https://invites.example.org/\"\njoin_url = \"https://gw.example.org/join\"\n")
        let label = String(repeating: "PyData talk, room 2. ", count: 6)
        let minted = try Binary.tessera("mint", "--project", "talk-2026", "--role", "viewer", "--label", label, "--short", "--json", in: site.url)
        let id = try #require(minted.json?["id"] as? String)
        let token = try #require(minted.json?["token"] as? String)
        let shortURL = try #require(minted.json?["short_url"] as? String)
        let trap = try ConnectionTrap()

        // Chromium's command line prints on Letter, the shorter of the two papers (279 mm against A4's 297 mm;
        // the printout is at most 180 mm wide, which both take inside 15 mm margins).
        for paper in ["letter"] {
            let pdf = site.file("page-\(paper).pdf").path
            let arguments = Self.browser(site.file("profile-\(paper)").path) + [
                "--proxy-server=http://127.0.0.1:\(trap.port)", "--proxy-bypass-list=<-loopback>",
                "--no-pdf-header-footer", "--print-to-pdf=\(pdf)",
                site.file("out/i/\(id)/index.html").absoluteString,
            ]
            let printed = try ExternalTool(name: browser, package: "chromium").run(arguments)
            #expect(printed.status == 0, "\(printed.stderr.suffix(500))")
            let info = try ExternalTool(name: pdfinfo, package: "poppler-utils").run([pdf])
            #expect(info.stdout.range(of: #"Pages:\s+1\n"#, options: .regularExpression) != nil, "\(paper): \(info.stdout)")
            #expect(info.stdout.contains("(letter)") || info.stdout.contains("(A4)"), "\(info.stdout)")
            let text = try ExternalTool(name: pdftotext, package: "poppler-utils").run([pdf, "-"]).stdout
            let flat = text.filter { !$0.isWhitespace }
            #expect(flat.contains("talk-2026"), "the project is printed")
            #expect(flat.contains("PyData"), "the label is printed")
            #expect(flat.contains(shortURL.dropFirst(8).dropLast()), "the short link is printed: \(text)")
            #expect(!flat.contains("v4.public"), "the token is printed")
            for start in stride(from: 10, to: token.count - 24, by: 24) {
                let piece = token.dropFirst(start).prefix(24)
                #expect(!flat.contains(piece), "a piece of the token is printed")
            }
            #expect(!text.contains("Copy") && !text.contains("Join talk-2026") && !text.contains("Expires"), "buttons and details are not printed: \(text)")
        }
    }
}
