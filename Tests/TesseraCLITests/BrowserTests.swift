import Foundation
import Testing
import TesseraTestSupport

/// A generated page opened from disk in headless Chromium: it renders, its QR code scans, a hostile label does not run, and nothing is fetched.
@Suite(.offThePool) struct BrowserTests {
    @Test func pageRendersOfflineAndAHostileLabelStaysText() throws { try pageRendersOfflineAndAHostileLabelStaysTextBody() }
    private func pageRendersOfflineAndAHostileLabelStaysTextBody() throws {
        guard let browser = ExternalTool(name: "chromium", package: "chromium").require(),
              ExternalTool(name: "zbarimg", package: "zbar-tools").require() != nil else { return }
        let site = try TemporaryFolder()
        try site.write("tessera.toml", "base_url = \"https://invites.example.org/\"\njoin_url = \"https://gw.example.org/join\"\n")
        let label = #"Talk <img src=x onerror="document.title='pwned'"><script>document.title='pwned'</script>"#
        let minted = try Binary.tessera("mint", "--project", "talk", "--role", "viewer", "--label", label, "--json", in: site.url)
        let id = try #require(minted.json?["id"] as? String)
        let token = try #require(minted.json?["token"] as? String)
        let page = site.file("out/i/\(id)/index.html")

        // Every request the browser makes goes to this listener, which must see none.
        let trap = try ConnectionTrap()
        let profile = site.file("profile").path
        let common = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                      "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-domain-reliability",
                      "--user-data-dir=\(profile)", "--proxy-server=http://127.0.0.1:\(trap.port)", "--proxy-bypass-list=<-loopback>",
                      "--window-size=412,1600", "--hide-scrollbars"]
        let dom = try ExternalTool(name: browser, package: "chromium").run(common + ["--dump-dom", page.absoluteString])
        #expect(dom.status == 0, "\(dom.stderr.suffix(500))")
        #expect(dom.stdout.contains("<title>Invitation to talk</title>"), "a script would have changed the title")
        #expect(!dom.stdout.contains("pwned</title>"))
        #expect(!dom.stdout.contains("<img src=\"x\""), "the label must stay text")
        #expect(dom.stdout.contains("&lt;script&gt;document.title"))
        #expect(dom.stdout.contains("<form method=\"post\" action=\"https://gw.example.org/join\">"))
        #expect(dom.stdout.contains(token))
        #expect(dom.stdout.contains("<html lang=\"en\" class=\"js\">"), "the page's own script (allowed by its CSP hash) ran")

        let shot = site.file("page.png").path
        let blank = site.file("blank.png").path
        try site.write("blank.html", "<!doctype html><html><body></body></html>")
        #expect(try ExternalTool(name: browser, package: "chromium").run(common + ["--screenshot=\(shot)", page.absoluteString]).status == 0)
        #expect(try ExternalTool(name: browser, package: "chromium").run(common + ["--screenshot=\(blank)", site.file("blank.html").absoluteString]).status == 0)
        let shotSize = try FileManager.default.attributesOfItem(atPath: shot)[.size] as! Int
        let blankSize = try FileManager.default.attributesOfItem(atPath: blank)[.size] as! Int
        #expect(shotSize > 4 * blankSize, "screenshot \(shotSize) bytes vs blank \(blankSize)")
        // The QR code as the browser drew it scans to the page's address.
        let scan = try ExternalTool(name: "zbarimg", package: "zbar-tools").run(["--raw", "-q", "-Sdisable", "-Sqrcode.enable", shot])
        #expect(scan.stdout.trimmingCharacters(in: .newlines) == "https://invites.example.org/i/\(id)/")

        // Chromium itself phones home (time, component updates, accounts) even headless; those
        // land in the trap too and are told apart by host. Anything else came from the page.
        let requests = trap.requestTargets()
        let fromPage = requests.filter { !BrowserTests.isBrowserService($0) }
        #expect(fromPage.isEmpty, "the page made network requests: \(fromPage)")
    }
}

extension BrowserTests {
    static func isBrowserService(_ target: String) -> Bool {
        let host = target.replacingOccurrences(of: "http://", with: "").replacingOccurrences(of: "https://", with: "")
            .split(separator: "/").first.map { String($0.split(separator: ":").first ?? "") } ?? ""
        return ["google.com", "googleapis.com", "gvt1.com", "gstatic.com"].contains { host == $0 || host.hasSuffix("." + $0) }
    }
}

/// A loopback listener used as the browser's proxy: any connection it receives is a request the page should not have made.
final class ConnectionTrap {
    let socket: Int32
    let port: UInt16

    init() throws {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        listen(fd, 64)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        socket = fd
        port = UInt16(bigEndian: address.sin_port)
    }

    /// The target (URL or host:port) of each request that reached the trap.
    func requestTargets() -> [String] {
        var targets: [String] = []
        while true {
            let client = accept(socket, nil, nil)
            if client < 0 { return targets }
            var timeout = timeval(tv_sec: 1, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var buffer = [UInt8](repeating: 0, count: 1024)
            let n = recv(client, &buffer, buffer.count, 0)
            close(client)
            let line = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).split(separator: "\r\n").first.map(String.init) ?? "" : ""
            let parts = line.split(separator: " ")
            targets.append(parts.count >= 2 ? String(parts[1]) : "(connection without a request)")
        }
    }

    deinit { close(socket) }
}
