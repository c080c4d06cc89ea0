import Foundation
import Testing
import TesseraTestSupport

/// What `serve` tells the operator when it starts.
@Suite(.offThePool) struct ServeStartupTests {
    /// An outside review started `serve` without `--project-from-path` and without a proxy setting `X-Tessera-Project`:
    /// a lab invitation then admitted to every path, silently. That is right for one project's app, so it is not refused,
    /// but `serve` now warns; with a template it does not.
    @Test func serveWarnsWhenNoProjectIsRequired() throws {
        let minted = try MintedSite("--project", "lab", "--role", "viewer", "--anonymous")
        #expect(try Self.startupLog(minted.folder, []).contains("no --project-from-path"))
        #expect(!(try Self.startupLog(minted.folder, ["--project-from-path", "/projects/{project}/"]).contains("no --project-from-path")))
    }

    /// Starts `serve`, waits until `/healthz` answers, stops it with SIGTERM and returns what it wrote to standard error.
    private static func startupLog(_ site: TemporaryFolder, _ extra: [String]) throws -> String {
        let port = try freeLoopbackPort()
        let process = Process()
        process.executableURL = Binary.products.appendingPathComponent("tessera-verify")
        process.arguments = ["serve", "--listen", "127.0.0.1:\(port)", "--threads", "1"] + extra
        process.currentDirectoryURL = site.url
        let log = site.url.appendingPathComponent("serve-\(port).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        defer {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
        let end = Date().addingTimeInterval(20)
        var ready = false
        while Date() < end, process.isRunning, !ready {
            ready = (try? HTTP.request(port: port, "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").status) == 200
            if !ready { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(ready, "serve did not start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        process.terminate()
        process.waitUntilExit()
        return try String(contentsOf: log, encoding: .utf8)
    }
}
