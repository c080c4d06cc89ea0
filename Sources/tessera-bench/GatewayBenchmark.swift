import Foundation
import TesseraCore
import TesseraMint

/// Joins per second through HTTP with 3 `tessera-verify serve` processes on one PostgreSQL ledger, beside 1.
///
/// Each request is `POST /join` of a distinct anonymous invitation (one use), so each is a first
/// use: a write. `wrk` drives each gateway (one wrk process per gateway, 33 connections in all),
/// rounds alternate between 1 and 3 gateways, and the figure is the median of the rounds.
enum Gateways {
    struct Missing: Error, CustomStringConvertible {
        let description: String
    }

    static func run(url: String, namespace: String, rounds: Int, seconds: Int) async throws -> [String] {
        let bin = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let verify = bin.appendingPathComponent("tessera-verify").path
        guard FileManager.default.isExecutableFile(atPath: verify) else {
            return ["gateways: skipped: build tessera-verify beside tessera-bench (swift build -c release)"]
        }
        guard let wrk = ["/usr/bin/wrk", "/usr/local/bin/wrk"].first(where: FileManager.default.isExecutableFile) else {
            return ["gateways: skipped: wrk is not installed (apt-get install wrk)"]
        }
        let site = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-bench-gw-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: site.appendingPathComponent("keys"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: site) }
        let key = SigningKey()
        try key.publicKey.pemRepresentation.write(to: site.appendingPathComponent("keys/main.public.pem"), atomically: true, encoding: .utf8)
        let minter = Minter(key: key)
        var terms = InvitationTerms(project: "bench", role: "viewer")
        terms.uses = 1
        terms.anonymous = true
        // Enough distinct invitations that no request repeats one: a generous bound on the rate.
        let perConnectionGroup = 6_000 * seconds
        func tokens(_ count: Int) -> String {
            (0..<count).map { _ in minter.mint(terms.invitation(id: Minter.newInvitationID(), issuedAt: .now)) }.joined(separator: "\n") + "\n"
        }
        let script = site.appendingPathComponent("join.lua").path
        try """
            local tokens = {}
            for line in io.lines(os.getenv("TOKENS")) do tokens[#tokens + 1] = line end
            local n = 0
            request = function()
                n = n + 1
                local token = tokens[(n - 1) % #tokens + 1]
                -- The gateway's own origin: a POST /join from anywhere else is refused (403).
                return wrk.format("POST", "/join", {["Content-Type"] = "application/x-www-form-urlencoded",
                                                    ["Origin"] = "http://" .. wrk.host .. ":" .. wrk.port}, "token=" .. token)
            end
            """.write(toFile: script, atomically: true, encoding: .utf8)
        let ledger = url + (url.contains("?") ? "&" : "?") + "schema=" + namespace
        var rates: [Int: [Double]] = [1: [], 3: []]
        var failures: [String] = []
        for round in 0..<rounds {
            for count in [1, 3] {
                let gateways = try (0..<count).map { _ in try GatewayProcess(verify: verify, site: site.path, ledger: ledger) }
                defer { gateways.forEach { $0.stop() } }
                for gateway in gateways { try gateway.waitUntilReady() }
                let connections = count == 1 ? 33 : 11
                var files: [String] = []
                for index in 0..<count {
                    let path = site.appendingPathComponent("tokens-\(round)-\(count)-\(index).txt").path
                    try tokens(perConnectionGroup * (count == 1 ? 2 : 1)).write(toFile: path, atomically: true, encoding: .utf8)
                    files.append(path)
                }
                let runs = gateways.enumerated().map { index, gateway in
                    Wrk(executable: wrk, script: script, tokens: files[index], port: gateway.port, connections: connections, seconds: seconds)
                }
                runs.forEach { $0.start() }
                let results = runs.map { $0.finish() }
                var total = 0.0
                for result in results {
                    total += result.rate
                    if result.errors > 0 { failures.append("\(count) gateways: \(result.errors) non-3xx answers or socket errors") }
                    if result.requests > result.tokens { failures.append("\(count) gateways: ran out of distinct invitations") }
                }
                rates[count]!.append(total)
            }
        }
        let one = Measure.median(rates[1]!), three = Measure.median(rates[3]!)
        var lines = [
            "joins through HTTP (POST /join, a distinct invitation each: a first use), PostgreSQL ledger, wrk, \(rounds) interleaved rounds of \(seconds) s",
            Measure.line("1 gateway process", Measure.format(one) + "/s"),
            Measure.line("3 gateway processes", Measure.format(three) + "/s", String(format: "3 ÷ 1 = %.2f (target ≥ 2; %d cores here)", three / one, ProcessInfo.processInfo.activeProcessorCount)),
        ]
        lines += Set(failures).sorted().map { "  warning: \($0)" }
        return lines
    }
}

/// A `tessera-verify serve` on a free loopback port.
final class GatewayProcess {
    let process = Process()
    let port: Int

    init(verify: String, site: String, ledger: String) throws {
        port = try Self.freePort()
        process.executableURL = URL(fileURLWithPath: verify)
        process.arguments = ["serve", "--site", site, "--listen", "127.0.0.1:\(port)", "--ledger", ledger, "--log-level", "error"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    func waitUntilReady() throws {
        for _ in 0..<200 {
            guard process.isRunning else { throw Gateways.Missing(description: "tessera-verify serve exited with \(process.terminationStatus)") }
            if Self.healthy(port: port) { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw Gateways.Missing(description: "tessera-verify serve on port \(port) not ready")
    }

    private static func healthy(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 } }
        guard connected else { return false }
        let request = Array("GET /healthz HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n".utf8)
        _ = send(fd, request, request.count, Int32(MSG_NOSIGNAL))
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = recv(fd, &buffer, buffer.count, 0)
        return count > 12 && String(decoding: buffer[0..<count], as: UTF8.self).hasPrefix("HTTP/1.1 200")
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// One `wrk` process against one gateway.
final class Wrk {
    let process = Process()
    let output = Pipe()
    let tokens: Int

    init(executable: String, script: String, tokens path: String, port: Int, connections: Int, seconds: Int) {
        tokens = ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").count
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-t1", "-c\(connections)", "-d\(seconds)s", "-s", script, "http://127.0.0.1:\(port)/join"]
        var environment = ProcessInfo.processInfo.environment
        environment["TOKENS"] = path
        process.environment = environment
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
    }

    func start() { try? process.run() }

    /// Requests/s, total requests and errors (non-2xx/3xx answers and socket errors) as wrk reports them.
    func finish() -> (rate: Double, requests: Int, errors: Int, tokens: Int) {
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        var rate = 0.0, requests = 0, errors = 0
        for line in text.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if line.hasPrefix("Requests/sec:") { rate = Double(line.dropFirst("Requests/sec:".count).trimmingCharacters(in: .whitespaces)) ?? 0 }
            if line.contains("requests in") { requests = Int(line.prefix { $0.isNumber }) ?? 0 }
            if line.hasPrefix("Non-2xx or 3xx responses:") { errors += Int(line.split(separator: " ").last ?? "") ?? 0 }
            if line.hasPrefix("Socket errors:") {
                // "Socket errors: connect 0, read 0, write 0, timeout 0"
                errors += line.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .punctuationCharacters)) }.reduce(0, +)
            }
        }
        return (rate, requests, errors, tokens)
    }
}
