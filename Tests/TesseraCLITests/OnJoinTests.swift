import Foundation
import Testing
import TesseraTestSupport

/// A real HTTP receiver on loopback, in Python: it checks each delivery's HMAC signature, answers
/// 503 to the first `refuse` deliveries and 204 afterwards, and appends one JSON line per delivery
/// (header id, body, whether the signature held, the status it answered) to `log`.
final class Receiver {
    let process: Process
    let port: Int
    let log: URL

    static let script = """
        import hashlib, hmac, json, sys, threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        port, secret_file, log, refuse = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
        secret = open(secret_file, "rb").read().rstrip(b"\\r\\n")
        lock, seen = threading.Lock(), [0]
        class Hook(BaseHTTPRequestHandler):
            def log_message(self, *args): pass
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                stamp = self.headers.get("Tessera-Timestamp", "")
                mac = "sha256=" + hmac.new(secret, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
                valid = hmac.compare_digest(mac, self.headers.get("Tessera-Signature", ""))
                with lock:
                    seen[0] += 1
                    status = 503 if seen[0] <= refuse else (204 if valid else 401)
                    with open(log, "a") as out:
                        out.write(json.dumps({"id": self.headers.get("Tessera-Event-Id"), "valid": valid, "status": status,
                                              "body": json.loads(body)}) + "\\n")
                self.send_response(status); self.send_header("Content-Length", "0"); self.end_headers()
        ThreadingHTTPServer(("127.0.0.1", port), Hook).serve_forever()
        """

    init(folder: TemporaryFolder, port: Int, secret: URL, refuse: Int) throws {
        self.port = port
        log = folder.file("received-\(port).jsonl")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let script = folder.file("receiver.py")
        try Receiver.script.write(to: script, atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, String(port), secret.path, log.path, String(refuse)]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Ready once it accepts a connection.
        let end = Date().addingTimeInterval(20)
        while Date() < end {
            if (try? HTTP.request(port: port, "GET / HTTP/1.1\r\nHost: r\r\nConnection: close\r\n\r\n", timeout: 2)) != nil { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw HTTP.Failure("the receiver on port \(port) did not start")
    }

    deinit {
        if process.isRunning {
            // SIGKILL, not SIGTERM: a process started from a test thread inherits its signal mask, in
            // which SIGTERM can be blocked; the receiver then never ended and the suite hung here.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Every delivery so far, in the order they arrived.
    var deliveries: [[String: Any]] {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
}

/// `serve --on-join`: events written with the ledger row, delivered in commit order with retries, signed, and never lost to `kill -9`.
@Suite(.serialized, .offThePool) struct OnJoinTests {
    static var ledgers: [String] { SharedDatabase.canRace ? ["sqlite", "postgres"] : ["sqlite"] }

    private func ledger(_ kind: String, in folder: TemporaryFolder) -> String? {
        kind == "sqlite" ? "sqlite:" + folder.file("state/ledger.sqlite").path : SharedDatabase.requireURL()
    }

    private func secret(in folder: TemporaryFolder, mode: Int = 0o600) throws -> URL {
        let file = folder.file("on-join.secret")
        try "a-shared-secret-of-enough-bytes\n".write(to: file, atomically: true, encoding: .utf8)
        // The README receiver reads on-join.secret from its working folder: the site.
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: file.path)
        return file
    }

    /// The deliveries of one invitation (a shared PostgreSQL ledger also carries other tests' events).
    private func ours(_ receiver: Receiver, _ invitation: String) -> [[String: Any]] {
        receiver.deliveries.filter { ($0["body"] as? [String: Any])?["invitation"] as? String == invitation }
    }

    @Test(arguments: ledgers)
    func noEventIsLostToKill9AndRefusedDeliveriesAreRetriedInOrder(_ kind: String) throws { try killBody(kind) }
    private func killBody(_ kind: String) throws {
        let site = try MintedSite("--project", "hooked", "--role", "viewer", "--uses", "50", "--member-for", "7d")
        let folder = site.folder
        guard let ledger = ledger(kind, in: folder) else { return }
        let secretFile = try secret(in: folder)
        let receiverPort = try freeLoopbackPort()
        let hook = ["--identity-header", "X-Forwarded-User", "--on-join", "http://127.0.0.1:\(receiverPort)/hook", "--on-join-secret", secretFile.path]

        // 1. The receiver is down: five joins commit, none can be delivered; then the gateway is killed with SIGKILL.
        let first = try GatewayProcess(site: folder, ledger: ledger, extra: hook)
        try first.waitUntilReady()
        let users = (1...5).map { "user\($0)@example.org" }
        for user in users.prefix(3) { #expect(HTTP.join(port: first.port, token: site.token, user: user) == 303) }
        for user in users.suffix(2) {
            let status = try HTTP.request(port: first.port, "GET /verify HTTP/1.1\r\nHost: g\r\nAuthorization: Bearer \(site.token)\r\nX-Forwarded-User: \(user)\r\nConnection: close\r\n\r\n").status
            #expect(status == 200)
        }
        Thread.sleep(forTimeInterval: 0.3)
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()
        #expect(first.process.terminationReason == .uncaughtSignal)

        // 2. The receiver comes up and refuses the first two deliveries; a restarted gateway delivers everything.
        let receiver = try Receiver(folder: folder, port: receiverPort, secret: secretFile, refuse: 2)
        let second = try GatewayProcess(site: folder, ledger: ledger, extra: hook)
        try second.waitUntilReady()
        #expect(HTTP.join(port: second.port, token: site.token, user: "user6@example.org") == 303)
        let expected = users + ["user6@example.org"]
        let end = Date().addingTimeInterval(30)
        func accepted() -> [[String: Any]] { ours(receiver, site.id).filter { $0["status"] as? Int == 204 } }
        while Date() < end, Set(accepted().compactMap { ($0["body"] as? [String: Any])?["subject"] as? String }).count < expected.count {
            Thread.sleep(forTimeInterval: 0.1)
        }
        let all = ours(receiver, site.id)
        let delivered = accepted()
        let subjects = delivered.compactMap { ($0["body"] as? [String: Any])?["subject"] as? String }
        #expect(Set(subjects) == Set(expected), "delivered: \(subjects)")
        // In commit order: the first five joined in this order, user6 after them; ids grow.
        #expect(Array(subjects.prefix(5)) == users, "order: \(subjects)")
        let ids = delivered.compactMap { ($0["id"] as? String).flatMap { Int64($0) } }
        #expect(ids == ids.sorted() && Set(ids).count == ids.count)
        // Every delivery signed, the header id the body's id; a repeat carries the same id and body.
        var bodies: [String: String] = [:]
        for item in all {
            #expect(item["valid"] as? Bool == true, "an unsigned or badly signed delivery")
            let body = try #require(item["body"] as? [String: Any])
            #expect(body["id"] as? String == item["id"] as? String)
            #expect(body["project"] as? String == "hooked" && body["role"] as? String == "viewer")
            #expect(body["member_until"] is String && body["accepted"] is String && body["created_account"] as? Bool == false)
            let text = String(decoding: try JSONSerialization.data(withJSONObject: body, options: .sortedKeys), as: UTF8.self)
            if let id = item["id"] as? String {
                if let earlier = bodies[id] { #expect(earlier == text, "a repeat with another body") }
                bodies[id] = text
            }
        }
        // The refused deliveries were retried (the first attempts answered 503).
        #expect(receiver.deliveries.prefix(2).allSatisfy { $0["status"] as? Int == 503 })
    }

    /// The ten-line receiver the README shows, run as printed: it accepts a real delivery and refuses a forgery.
    @Test func theReadmeReceiverAcceptsADeliveryAndRefusesAForgery() throws { try readmeBody() }
    private func readmeBody() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let marker = try #require(readme.range(of: "A receiver that checks the signature, in Python:\n\n```python\n"))
        let end = try #require(readme[marker.upperBound...].range(of: "```"))
        let port = try freeLoopbackPort()
        let code = String(readme[marker.upperBound..<end.lowerBound]).replacingOccurrences(of: "9000", with: String(port))
        #expect(code.split(separator: "\n").count <= 13, "the README receiver grew past a dozen lines")
        let site = try MintedSite("--project", "readme", "--role", "viewer")
        let folder = site.folder
        let secretFile = try secret(in: folder)
        try code.write(to: folder.file("hook.py"), atomically: true, encoding: .utf8)
        let receiver = Process()
        receiver.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        receiver.arguments = ["python3", "-u", "hook.py"]
        receiver.currentDirectoryURL = folder.url
        let output = Pipe()
        receiver.standardOutput = output
        receiver.standardError = FileHandle.nullDevice
        try receiver.run()
        defer {
            // SIGKILL: SIGTERM may be blocked in the mask the receiver inherited (see Receiver).
            kill(receiver.processIdentifier, SIGKILL)
            receiver.waitUntilExit()
        }
        let lines = LineReader(output.fileHandleForReading)
        let ready = Date().addingTimeInterval(20)
        var forged: Int?
        while Date() < ready, forged == nil {
            let body = "{\"id\":\"1\",\"subject\":\"mallory\",\"project\":\"readme\",\"role\":\"admin\"}"
            forged = try? HTTP.request(port: port, "POST /hook HTTP/1.1\r\nHost: r\r\nContent-Length: \(body.utf8.count)\r\nTessera-Timestamp: \(Int(Date().timeIntervalSince1970))\r\nTessera-Signature: sha256=\(String(repeating: "0", count: 64))\r\nConnection: close\r\n\r\n\(body)", timeout: 2).status
            if forged == nil { Thread.sleep(forTimeInterval: 0.05) }
        }
        #expect(forged == 401, "a forged event was not refused")
        let gateway = try GatewayProcess(site: folder, ledger: "sqlite:" + folder.file("state/ledger.sqlite").path,
                                         extra: ["--identity-header", "X-Forwarded-User", "--on-join", "http://127.0.0.1:\(port)/hook", "--on-join-secret", secretFile.path])
        try gateway.waitUntilReady()
        #expect(HTTP.join(port: gateway.port, token: site.token, user: "alice@example.org") == 303)
        let line = lines.next(within: 20)
        #expect(line == "joined: alice@example.org readme viewer", "\(line ?? "nothing")")
    }

    @Test func aSecretFileOthersCanReadIsRefused() throws {
        let folder = try TemporaryFolder()
        try folder.write("keys/.keep", "")
        let secretFile = try secret(in: folder, mode: 0o644)
        let result = try Binary.verify("serve", "--listen", "127.0.0.1:\(try freeLoopbackPort())", "--on-join", "http://127.0.0.1:9/hook",
                                       "--on-join-secret", secretFile.path, in: folder.url)
        #expect(result.status == 2)
        #expect(result.stderr.contains("is readable by group or others (mode 644)"))
        let unsigned = try Binary.verify("serve", "--on-join", "http://127.0.0.1:9/hook", in: folder.url)
        #expect(unsigned.status == 2 && unsigned.stderr.contains("events must be signed"))
    }

    @Test(arguments: ledgers)
    func membersFollowPrintsEachNewMembershipWithinASecond(_ kind: String) throws { try followBody(kind) }
    private func followBody(_ kind: String) throws {
        let project = "followed-" + UUID().uuidString.prefix(8).lowercased()
        let site = try MintedSite("--project", project, "--role", "viewer", "--member-for", "1d")
        let folder = site.folder
        // PostgreSQL: a database of its own. In the shared one, the lost-answer tests running beside
        // this one hold a writing transaction open for seconds, and the feed rightly waits for it
        // (seen: a line 1.007 s after its commit).
        let own = kind == "postgres" ? SharedDatabase.requireOwnDatabase() : nil
        guard let ledger = kind == "postgres" ? own?.url : ledger(kind, in: folder) else { return }
        defer { withExtendedLifetime(own) {} }
        // A first acceptance, so the SQLite file exists and the list part has a row.
        #expect(try Binary.verify("check", "--redeem", "--subject", "first@example.org", "--ledger", ledger, site.token, in: folder.url).status == 0)
        let follower = Process()
        follower.executableURL = Binary.products.appendingPathComponent("tessera-verify")
        follower.arguments = ["members", "--follow", "--json", "--project", project, "--ledger", ledger]
        follower.currentDirectoryURL = folder.url
        let output = Pipe()
        follower.standardOutput = output
        follower.standardError = FileHandle.nullDevice
        try follower.run()
        defer {
            // SIGKILL: SIGTERM may be blocked in the mask the follower inherited (see Receiver).
            kill(follower.processIdentifier, SIGKILL)
            follower.waitUntilExit()
        }
        let lines = LineReader(output.fileHandleForReading)
        let listed = try #require(lines.next(within: 20), "members printed nothing")
        #expect(listed.contains("first@example.org"))
        Thread.sleep(forTimeInterval: 0.5)
        for user in ["second@example.org", "third@example.org"] {
            let started = Date()
            #expect(try Binary.verify("check", "--redeem", "--subject", user, "--ledger", ledger, site.token, in: folder.url).status == 0)
            let committed = Date()
            let line = try #require(lines.next(within: 10), "no line for \(user)")
            let lag = Date().timeIntervalSince(committed)
            #expect(line.contains("\"subject\":\"\(user)\"") && line.contains("\"member_until\":\"") && line.contains("\"type\":\"member.joined\""))
            #expect(lag < 1.0, "printed \(lag) s after the commit (the redemption took \(committed.timeIntervalSince(started)) s)")
        }
    }
}

/// Reads lines from a pipe on a thread of its own, so a test can wait for the next one with a time limit.
final class LineReader: @unchecked Sendable {
    private let lock = NSCondition()
    private var lines: [String] = []
    private var buffer: [UInt8] = []

    init(_ handle: FileHandle) {
        let thread = Thread { [self] in
            while true {
                let data = handle.availableData
                if data.isEmpty { return }
                lock.lock()
                buffer += data
                while let newline = buffer.firstIndex(of: 0x0a) {
                    lines.append(String(decoding: buffer[..<newline], as: UTF8.self))
                    buffer.removeSubrange(...newline)
                }
                lock.broadcast()
                lock.unlock()
            }
        }
        thread.start()
    }

    /// The next line, or nil when none came within `seconds`.
    func next(within seconds: TimeInterval) -> String? {
        let end = Date().addingTimeInterval(seconds)
        lock.lock()
        defer { lock.unlock() }
        while lines.isEmpty {
            if !lock.wait(until: end) { return nil }
        }
        return lines.removeFirst()
    }
}
