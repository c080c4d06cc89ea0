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

    /// A keys folder anyone may write lets any local user make a key of theirs trusted: `check` and `serve` refuse
    /// to start on it, and say how to fix it, rather than trust what is in it.
    @Test func checkAndServeRefuseAKeysFolderAnyoneMayWrite() throws {
        let minted = try MintedSite("--project", "lab", "--role", "viewer", "--anonymous")
        let keys = minted.folder.file("keys").path
        #expect(try Binary.verify("check", minted.token, in: minted.folder.url).status == 0)
        chmod(keys, 0o777)
        defer { chmod(keys, 0o755) }
        let checked = try Binary.verify("check", minted.token, in: minted.folder.url)
        #expect(checked.status != 0 && checked.stderr.contains("is writable by anyone (mode 777)") && checked.stderr.contains("chmod o-w"),
                "\(checked.status): \(checked.stderr)")
        // The hint is about who may write, not the one for a folder without keys.
        #expect(checked.stderr.contains("only the keys' owner") && !checked.stderr.contains("point --keys"), "\(checked.stderr)")
        let port = try freeLoopbackPort()
        let process = Process()
        process.executableURL = Binary.products.appendingPathComponent("tessera-verify")
        process.arguments = ["serve", "--listen", "127.0.0.1:\(port)", "--threads", "1", "--project-from-path", "/projects/{project}/"]
        process.currentDirectoryURL = minted.folder.url
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let end = Date().addingTimeInterval(20)
        while process.isRunning, Date() < end { Thread.sleep(forTimeInterval: 0.05) }
        let stillRunning = process.isRunning
        if stillRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(!stillRunning, "serve started on a keys folder anyone may write")
        #expect(process.terminationStatus != 0 && said.contains("is writable by anyone") && said.contains("only the keys' owner"),
                "\(process.terminationStatus): \(said)")
        // The folder is named once, as `check` names it (a review saw "keys: keys is writable…").
        let named = said.components(separatedBy: "cannot load the keys folder: ").dropFirst().first?.components(separatedBy: " is writable").first
        #expect(named.map { !$0.contains(": ") } == true, "\(said)")
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
