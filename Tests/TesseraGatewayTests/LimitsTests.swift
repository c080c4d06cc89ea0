import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TesseraCore
import TesseraMint
@testable import TesseraGateway
import TesseraTestSupport

/// What a hostile client can cost the gateway: header and body caps, slow clients, floods of bogus tokens, malformed HTTP.
@Suite(.offThePool) struct LimitsTests {
    /// Runs `body` with the port of `site`'s gateway serving on loopback.
    func live(_ site: TestSite, _ body: @escaping @Sendable (Int) async throws -> Void) async throws {
        try await site.application().test(.live) { client in
            try await body(try #require(client.port))
        }
    }

    /// A valid token is still admitted and a bad one still refused: whatever came before changed nothing.
    func expectStillDeciding(port: Int, token: String, _ comment: Comment? = nil) async throws {
        let valid = try await RawHTTP.perform(port: port, "GET", "/verify", headers: [("Authorization", "Bearer \(token)")])
        #expect(valid.status == 200, comment)
        let bad = try await RawHTTP.perform(port: port, "GET", "/verify", headers: [("Authorization", "Bearer \(token.dropLast(2))xx")])
        #expect(bad.status == 401, comment)
    }

    /// Sends `request` on a connection of its own and reads until the gateway closes it (at most `patience`).
    func exchange(port: Int, _ request: [UInt8]) async throws -> (bytes: [UInt8], closed: Bool) {
        try await offThePool {
            let connection = try RawConnection(port: port)
            connection.send(request)
            return connection.receive(for: patience)
        }
    }

    func exchange(port: Int, _ request: String) async throws -> (bytes: [UInt8], closed: Bool) {
        try await exchange(port: port, Array(request.utf8))
    }

    @Test func requestHeadsOverTheCapAre431AndTheGatewayKeepsServing() async throws {
        let site = try TestSite()
        let token = site.mint(site.invitation(anonymous: true))
        // As long as a token may be, sent as bearer and again as cookie, beside ordinary browser headers.
        let longest = String(repeating: "A", count: SignedToken.maximumLength)
        let browser = [("Authorization", "Bearer \(longest)"), ("Cookie", "tessera=\(longest); _ga=GA1.2.1234567890.1234567890"),
                       ("User-Agent", String(repeating: "Mozilla/5.0 ", count: 20)), ("Accept-Language", "en-GB,en;q=0.9")]
        let oversize: [(String, String)] = [
            ("a 40 KiB header", "GET /verify HTTP/1.1\r\nHost: gw\r\nX-Filler: \(String(repeating: "a", count: 40 << 10))\r\n\r\n"),
            ("a 40 KiB URI", "GET /verify/\(String(repeating: "a", count: 40 << 10)) HTTP/1.1\r\nHost: gw\r\n\r\n"),
            ("2,000 headers", "GET /verify HTTP/1.1\r\nHost: gw\r\n" + (0..<2000).map { "X-\($0): v\r\n" }.joined() + "\r\n"),
        ]
        try await live(site) { port in
            // Decided (a malformed token), not refused as too large.
            let fits = try await RawHTTP.perform(port: port, "GET", "/verify", headers: browser)
            #expect(fits.status == 401)
            #expect(fits.header("X-Tessera-Reason") == "malformed")
            for (name, request) in oversize {
                let answer = try await exchange(port: port, request)
                #expect(RawConnection.statuses(in: answer.bytes) == [431], "\(name)")
                #expect(answer.closed, "\(name)")
                try await expectStillDeciding(port: port, token: token, "after \(name)")
            }
        }

        // The cap is a setting: at 16 KiB the same 20 KiB header that passes above is refused.
        let twenty = [("Authorization", "Bearer \(token)"), ("X-Filler", String(repeating: "b", count: 20 << 10))]
        try await live(site) { port in
            let passed = try await RawHTTP.perform(port: port, "GET", "/verify", headers: twenty)
            #expect(passed.status == 200)
        }
        site.configuration.maxHeaderBytes = 16 << 10
        try await live(site) { port in
            let refused = try await RawHTTP.perform(port: port, "GET", "/verify", headers: twenty)
            #expect(refused.status == 431)
            try await expectStillDeciding(port: port, token: token)
        }
    }

    @Test func bodiesOverTheCapAreRefusedOrCutOffWithoutBeingReadWhole() async throws {
        let site = try TestSite()
        // Long enough that every closed connection below is the body cap's doing, not the read deadline's.
        site.configuration.readTimeout = .seconds(60)
        let token = site.mint(site.invitation(anonymous: true))
        try await live(site) { port in
            // A declared length over the cap: 413 before any of the body is read.
            let (declared, closed) = try await exchange(port: port, "POST /join HTTP/1.1\r\nHost: gw\r\nOrigin: http://gw\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000000\r\n\r\ntoken=")
            #expect(RawConnection.statuses(in: declared) == [413])
            #expect(String(decoding: declared, as: UTF8.self).contains("X-Tessera-Reason: too_large"))
            #expect(closed)

            // Chunked bodies that never end: /join answers 413 once past the cap, /verify (which ignores bodies) has
            // already answered; either way the gateway hangs up while the client is still sending.
            for (path, status) in [("/join", 413), ("/verify", 401)] {
                let (statuses, sent, hungUp) = try await offThePool { () -> ([Int], Int, Bool) in
                    let connection = try RawConnection(port: port)
                    connection.send("POST \(path) HTTP/1.1\r\nHost: gw\r\nOrigin: http://gw\r\nTransfer-Encoding: chunked\r\n\r\n")
                    let chunk = Array(("400\r\n" + String(repeating: "a", count: 1024) + "\r\n").utf8)
                    var sent = 0
                    while sent < 64 << 20, !connection.hasHungUp(), connection.send(chunk) { sent += 1024 }
                    let answer = connection.receive(for: patience)
                    return (RawConnection.statuses(in: answer.bytes), sent, connection.hasHungUp() || answer.closed)
                }
                #expect(statuses == [status], "\(path)")
                #expect(hungUp, "\(path)")
                #expect(sent >= GatewayConfiguration.maxBodyBytes && sent < 64 << 20, "\(path): \(sent) bytes sent")
            }

            // A form within the cap is read as ever.
            let joined = try await RawHTTP.perform(port: port, "POST", "/join", headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Origin", "http://127.0.0.1:\(port)")],
                                                   body: "token=\(token)")
            #expect(joined.status == 303)
            try await expectStillDeciding(port: port, token: token)
        }
    }

    @Test func slowClientsAreDisconnectedAfterTheReadTimeoutButIdleKeepAliveIsNot() async throws {
        let site = try TestSite()
        // 3 s: a loaded CI machine must still answer the keep-alive case's first request within it (at 1.5 s it once did not).
        site.configuration.readTimeout = .seconds(3)
        let token = site.mint(site.invitation(anonymous: true))
        /// How long until the gateway hung up on a connection that `act` keeps busy; nil if it never did.
        @Sendable func hangUp(port: Int, _ act: @escaping @Sendable (RawConnection) -> Void) async throws -> Duration? {
            try await offThePool {
                let started = ContinuousClock.now
                let connection = try RawConnection(port: port)
                act(connection)
                return connection.waitForHangUp(within: patience) ? ContinuousClock.now - started : nil
            }
        }
        try await live(site) { port in
            async let silent = hangUp(port: port) { _ in }
            // Slowloris: one byte of an endless head every 50 ms, so the connection is never idle.
            async let trickled = hangUp(port: port) { connection in
                let started = ContinuousClock.now
                connection.send("GET /verify HTTP/1.1\r\nHost: gw\r\n")
                let line = Array("X-Slow: a\r\n".utf8)
                var index = 0
                while ContinuousClock.now - started < patience, !connection.hasHungUp(), connection.send([line[index % line.count]]) {
                    index += 1
                    Thread.sleep(forTimeInterval: 0.05)
                }
            }
            async let stalledBody = hangUp(port: port) { connection in
                connection.send("POST /join HTTP/1.1\r\nHost: gw\r\nOrigin: http://gw\r\nContent-Length: 100\r\n\r\ntoken=v4.public.")
            }
            // The same after a first request on a keep-alive connection: the second one's clock starts with its first byte.
            async let trickledSecond = offThePool { () -> Duration? in
                let connection = try RawConnection(port: port)
                connection.send("GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\n")
                let first = connection.receive(for: patience) { String(decoding: $0, as: UTF8.self).contains("\r\n\r\n{") }
                guard RawConnection.statuses(in: first.bytes) == [200] else { return nil }
                let started = ContinuousClock.now
                let head = Array("GET /verify HTTP/1.1\r\nHost: gw\r\n".utf8) + Array(repeating: UInt8(ascii: "X"), count: 1000)
                var index = 0
                while index < head.count, ContinuousClock.now - started < patience, !connection.hasHungUp(), connection.send([head[index]]) {
                    index += 1
                    Thread.sleep(forTimeInterval: 0.05)
                }
                return connection.waitForHangUp(within: patience) ? ContinuousClock.now - started : nil
            }
            // A keep-alive connection may sit idle between requests for longer than the read timeout.
            async let idle = offThePool { () -> [Int] in
                let connection = try RawConnection(port: port)
                let request = "GET /verify HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer \(token)\r\n\r\n"
                let complete: ([UInt8]) -> Bool = { String(decoding: $0, as: UTF8.self).hasSuffix("\r\n\r\n") }
                connection.send(request)
                let first = connection.receive(for: patience, until: complete)
                Thread.sleep(forTimeInterval: 4)
                connection.send(request)
                let second = connection.receive(for: patience, until: complete)
                return RawConnection.statuses(in: first.bytes + second.bytes)
            }
            for (name, elapsed) in [("silent", try await silent), ("trickled head", try await trickled), ("stalled body", try await stalledBody),
                                    ("trickled second head", try await trickledSecond)] {
                let elapsed = try #require(elapsed, "\(name): still connected after \(patience), or the first answer never came")
                // Never before the deadline (counted from when the gateway accepted, after the client connected).
                #expect(elapsed >= .milliseconds(2950), "\(name): \(elapsed)")
            }
            #expect(try await idle == [200, 200])
            try await expectStillDeciding(port: port, token: token)
        }
    }

    @Test func aClientThatStopsReadingIsDisconnected() async throws {
        let site = try TestSite()
        site.configuration.readTimeout = .milliseconds(500)
        let token = site.mint(site.invitation(anonymous: true))
        try await live(site) { port in
            let hungUp = try await offThePool { () -> Bool in
                // A small receive window and thousands of pipelined /metrics requests (a few KiB of answer each): far more
                // than the socket buffers hold, so the gateway's writes wait on a client that never reads.
                let connection = try RawConnection(port: port, receiveBuffer: 4096)
                let requests = String(repeating: "GET /metrics HTTP/1.1\r\nHost: gw\r\n\r\n", count: 10_000)
                Thread { connection.send(requests) }.start()
                return connection.waitForHangUp(within: patience)
            }
            #expect(hungUp)
            try await expectStillDeciding(port: port, token: token)
        }
    }

    /// Requests no HTTP client should send, each named after what is wrong with it.
    static func malformedRequests(token: String) -> [(name: String, bytes: [UInt8])] {
        let bad = "Bearer \(token.dropLast(2))xx"
        let cases: [(String, String)] = [
            ("binary garbage", "\u{0}\u{1}\u{2}\u{7f}garbage\r\n\r\n"),
            ("request line without a target", "GET\r\nHost: gw\r\n\r\n"),
            ("unknown HTTP version", "GET /verify HTTP/9.1\r\nHost: gw\r\n\r\n"),
            ("HTTP/0.9", "GET /verify\r\n\r\n"),
            ("huge method", String(repeating: "A", count: 70_000) + " /verify HTTP/1.1\r\nHost: gw\r\n\r\n"),
            ("header without a colon, after a valid token", "GET /verify HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer \(token)\r\nNoColonHere\r\n\r\n"),
            ("space in a header name", "GET /verify HTTP/1.1\r\nHost: gw\r\nX Bad: v\r\nAuthorization: Bearer \(token)\r\n\r\n"),
            ("NUL in a header value", "GET /verify HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer \(token)\u{0}\r\n\r\n"),
            ("NUL in the target", "GET /verify\u{0}/x HTTP/1.1\r\nHost: gw\r\n\r\n"),
            ("folded header line", "GET /verify HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer\r\n \(token)\r\n\r\n"),
            ("Content-Length not a number", "POST /join HTTP/1.1\r\nHost: gw\r\nContent-Length: abc\r\n\r\ntoken=x"),
            ("negative Content-Length", "POST /join HTTP/1.1\r\nHost: gw\r\nContent-Length: -1\r\n\r\ntoken=x"),
            ("two different Content-Lengths", "POST /join HTTP/1.1\r\nHost: gw\r\nContent-Length: 7\r\nContent-Length: 9\r\n\r\ntoken=xyz"),
            // A smuggled second request in the body: if the two lengths were read differently it would be decided.
            ("Content-Length with Transfer-Encoding", "POST /verify HTTP/1.1\r\nHost: gw\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /verify HTTP/1.1\r\nHost: gw\r\nAuthorization: \(bad)\r\n\r\n"),
            ("Transfer-Encoding not ending in chunked", "POST /join HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked, identity\r\n\r\n7\r\ntoken=x\r\n0\r\n\r\n"),
            ("chunk size not hexadecimal", "POST /join HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\ntoken=x\r\n0\r\n\r\n"),
            ("chunk size overflowing 64 bits", "POST /join HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffffff\r\ntoken=x\r\n0\r\n\r\n"),
            ("pipelined junk after a bad token", "GET /verify HTTP/1.1\r\nHost: gw\r\nAuthorization: \(bad)\r\n\r\n\u{ff}\u{fe}junk\r\n\r\n"),
        ]
        return cases.map { ($0.0, Array($0.1.utf8)) }
    }

    @Test func malformedRequestsAreRefusedAndChangeNothing() async throws {
        let site = try TestSite()
        // Short enough that a request the parser would still wait on ends within the client's patience (10 s), yet long
        // enough that a starved event loop (a cold CI build beside the parallel tests) answers before the timeout closes
        // the connection: at 3 s, 8 of 18 cases saw the connection closed unanswered in a fresh-clone CI run.
        site.configuration.readTimeout = .seconds(8)
        let token = site.mint(site.invitation(anonymous: true))
        try await live(site) { port in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (name, bytes) in Self.malformedRequests(token: token) {
                    group.addTask {
                        let answer = try await exchange(port: port, bytes)
                        let statuses = RawConnection.statuses(in: answer.bytes)
                        // Nothing is granted and nothing redirects: every answer is a refusal, and the connection ends.
                        #expect(!statuses.isEmpty && statuses.allSatisfy { (400..<500).contains($0) }, "\(name): \(statuses)")
                        #expect(answer.closed, "\(name)")
                        try await expectStillDeciding(port: port, token: token, "after \(name)")
                    }
                }
                try await group.waitForAll()
            }
            // A valid request followed by junk on one connection: the valid one is answered, the junk refused.
            let pipelined = try await exchange(port: port, "GET /verify HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer \(token)\r\n\r\nGET / HTTP/1.1\r\n\u{1}\u{2}\r\n\r\n")
            #expect(RawConnection.statuses(in: pipelined.bytes) == [200, 400])
            #expect(pipelined.closed)
        }
    }

    /// `count` distinct tokens the gateway must refuse, numbered from `first`, in eight kinds: six malformed (bad
    /// base64, another version, no footer, over-long, a footer without a key id, a body too short to hold a
    /// signature), one signed by a key the site does not trust, and one well-formed, naming the site's key, whose
    /// signature is wrong. `foreign` is a token signed by another key.
    ///
    /// `padding` bytes of JSON whitespace (or base64 filler) make each token longer, so that keeping any would show.
    static func bogusTokens(_ count: Int, from first: Int = 0, like token: String, foreign: String, padding: Int = 0) -> [String] {
        let parts = token.split(separator: ".")
        let foreignFooter = foreign.split(separator: ".")[3]
        let signed = [UInt8](Data(base64Encoded: base64(fromURL: parts[2]))!)
        let message = signed.dropLast(64) + [UInt8](repeating: UInt8(ascii: " "), count: padding)
        let filler = String(repeating: "A", count: padding * 4 / 3)
        func badlySigned(_ i: Int) -> String {
            var signature = [UInt8](repeating: 0, count: 64)
            withUnsafeBytes(of: UInt64(i).bigEndian) { signature.replaceSubrange(0..<8, with: $0) }
            return "v4.public.\(base64URL(message + signature))"
        }
        return (first..<first + count).map { i in
            switch i % 8 {
            case 0: "v4.public.\(filler)\(i)!.\(parts[3])"
            case 1: "v3.public.\(filler)\(i).\(parts[3])"
            case 2: "v4.public.\(filler)\(i)"
            case 3: "v4.public.\(String(repeating: "A", count: SignedToken.maximumLength))\(i).\(parts[3])"
            case 4: "\(badlySigned(i)).\(base64URL(Array("{\"n\":\(i)}".utf8)))"
            case 5: "\(badlySigned(i)).\(foreignFooter)"
            case 6: "v4.public.\(base64URL(Array("\(i)".utf8))).\(parts[3])"
            default: "\(badlySigned(i)).\(parts[3])"
            }
        }
    }

    static func base64(fromURL text: Substring) -> String {
        let plain = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        return plain + String(repeating: "=", count: (4 - plain.count % 4) % 4)
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    @Test func aFloodOfDistinctBogusTokensCachesNothing() async throws {
        let site = try TestSite()
        site.configuration.signatureCacheSize = 16
        let valid = (0..<40).map { _ in site.mint(site.invitation(anonymous: true)) }
        let foreign = Minter(key: SigningKey()).mint(site.invitation(anonymous: true))
        // Made off the shared pool: 10,000 tokens are seconds of CPU in a debug build (see LeanVerifierTests).
        let bogus = try await offThePool { Self.bogusTokens(10_000, like: valid[0], foreign: foreign) }
        #expect(Set(bogus).count == bogus.count)
        try await site.application().test(.router) { client in
            func metrics() async throws -> String { String(buffer: try await client.execute(uri: "/metrics", method: .get).body) }
            var statuses: [HTTPResponse.Status: Int] = [:]
            for token in bogus {
                let response = try await client.execute(uri: "/verify", method: .head, headers: [.authorization: "Bearer \(token)"])
                statuses[response.status, default: 0] += 1
            }
            #expect(statuses == [.unauthorized: bogus.count])
            var text = try await metrics()
            // Only verified signatures are kept: a refused token leaves nothing behind.
            #expect(text.contains("tessera_signature_cache_entries 0.0\n"))
            #expect(text.contains("tessera_decisions_total{reason=\"malformed\"} 7500\n"))
            #expect(text.contains("tessera_decisions_total{reason=\"unknown_key\"} 1250\n"))
            #expect(text.contains("tessera_decisions_total{reason=\"bad_signature\"} 1250\n"))

            // Good tokens fill it to its capacity and no further, and more bogus ones do not push them out.
            for token in valid + valid {
                try await client.execute(uri: "/verify", method: .get, headers: [.authorization: "Bearer \(token)"]) { #expect($0.status == .ok) }
            }
            for token in Self.bogusTokens(800, from: 10_000, like: valid[0], foreign: foreign) {
                _ = try await client.execute(uri: "/verify", method: .head, headers: [.authorization: "Bearer \(token)"])
            }
            text = try await metrics()
            #expect(text.contains("tessera_signature_cache_entries 16.0\n"))
            let hits = try #require(metric("tessera_signature_cache_hits_total", in: text))
            try await client.execute(uri: "/verify", method: .get, headers: [.authorization: "Bearer \(valid.last!)"]) { #expect($0.status == .ok) }
            #expect(metric("tessera_signature_cache_hits_total", in: try await metrics()) == hits + 1)
        }
    }

    /// Sends each token to `/verify` as pipelined HEAD requests on one connection, a hundred at a time; how many answers had each status.
    static func flood(port: Int, _ tokens: [String]) throws -> [Int: Int] {
        let connection = try RawConnection(port: port)
        var counts: [Int: Int] = [:]
        for start in stride(from: 0, to: tokens.count, by: 100) {
            let batch = tokens[start..<min(start + 100, tokens.count)]
            guard connection.send(batch.map { "HEAD /verify HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer \($0)\r\n\r\n" }.joined()) else {
                throw RawHTTP.Failure(description: "the gateway hung up after \(start) requests")
            }
            // Answers to HEAD have no body: each ends at its blank line.
            let answer = connection.receive(for: patience) { bytes in
                var ends = 0
                for i in bytes.indices.dropFirst(3) where bytes[i] == 10 && bytes[i - 1] == 13 && bytes[i - 2] == 10 && bytes[i - 3] == 13 { ends += 1 }
                return ends == batch.count
            }
            for status in RawConnection.statuses(in: answer.bytes) { counts[status, default: 0] += 1 }
        }
        return counts
    }

    /// The resident memory of process `pid` in KiB (`VmRSS` in /proc/PID/status).
    static func residentKiB(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return nil }
        return Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces).prefix { $0.isNumber })
    }

    @Test(.enabled(if: ServeCommandTests.binary != nil, "tessera-verify is not built"))
    func theServeProcessStaysFlatUnderFloodsOfBogusTokensAndMalformedHTTP() async throws {
        let site = try TestSite()
        let valid = site.mint(site.invitation(anonymous: true))
        let foreign = Minter(key: SigningKey()).mint(site.invitation(anonymous: true))
        // At the default log level: every refusal is logged, and the log must not hold memory either.
        let server = try ServeCommandTests.Server(["--site", site.path, "--listen", "127.0.0.1:0", "--cache-size", "64"])
        let port = try #require(await server.port(), "no listening line: \(server.stderr)")
        let pid = server.process.processIdentifier

        // About 4.5 KiB each, 2,000 a flood: some 9 MiB of tokens that would show if any were kept.
        let size = 2_000
        let (first, second) = try await offThePool {
            (Self.bogusTokens(size, like: valid, foreign: foreign, padding: 3_000), Self.bogusTokens(size, from: size, like: valid, foreign: foreign, padding: 3_000))
        }
        // The first flood warms the allocator and the caches; the second, of as many other tokens, must add next to nothing.
        #expect(try await offThePool { try Self.flood(port: port, first) } == [401: size])
        let warm = try #require(Self.residentKiB(pid))
        #expect(try await offThePool { try Self.flood(port: port, second) } == [401: size])
        let after = try #require(Self.residentKiB(pid))
        // 4 MiB of slack for the allocator's own growth and fragmentation, under half of what one flood's tokens weigh.
        // Not under AddressSanitizer: it keeps freed memory in a quarantine (256 MiB by default) to catch
        // use-after-free, so resident memory grows by design there (4.5 MiB over this flood in CI's ASan pass).
        if !isAddressSanitized {
            #expect(after - warm < 4 << 10, "resident memory grew from \(warm) KiB to \(after) KiB over the second flood")
        }

        let metrics = try await RawHTTP.perform(port: port, "GET", "/metrics").body
        #expect(metrics.contains("tessera_signature_cache_entries 0.0\n"))
        for (_, bytes) in Self.malformedRequests(token: valid) {
            _ = try await exchange(port: port, bytes)
        }
        #expect(server.process.isRunning)
        try await expectStillDeciding(port: port, token: valid)
        server.process.terminate()
        #expect(await server.exitStatus() == 0)
    }

    @Test(.enabled(if: ServeCommandTests.binary != nil, "tessera-verify is not built"))
    func limitsComeFromFlagsAndTesseraToml() async throws {
        let site = try TestSite()
        try site.write("tessera.toml", "[gateway]\nlisten = \"127.0.0.1:0\"\nmax_header_bytes = 16384\nread_timeout = \"1s\"\n")
        let server = try ServeCommandTests.Server(["--site", site.path])
        let port = try #require(await server.port(), "no listening line: \(server.stderr)")
        let big = try await RawHTTP.perform(port: port, "GET", "/verify", headers: [("X-Filler", String(repeating: "b", count: 20 << 10))])
        #expect(big.status == 431)
        let silent = try await offThePool { () -> Duration? in
            let started = ContinuousClock.now
            let connection = try RawConnection(port: port)
            return connection.waitForHangUp(within: patience) ? ContinuousClock.now - started : nil
        }
        let elapsed = try #require(silent, "a silent connection was kept for \(patience)")
        #expect(elapsed >= .milliseconds(950))
        server.process.terminate()
        #expect(await server.exitStatus() == 0)

        // A bad value is a usage error naming its flag, or its file and line.
        let flag = try ServeCommandTests.Server(["--site", site.path, "--max-header-bytes", "100"])
        #expect(await flag.exitStatus() == 2)
        #expect(flag.stderr.contains("tessera: error: --max-header-bytes: must be between 12288 and 1048576"), "\(flag.stderr)")
        let timeout = try ServeCommandTests.Server(["--site", site.path, "--read-timeout", "soon"])
        #expect(await timeout.exitStatus() == 2)
        #expect(timeout.stderr.contains("tessera: error: --read-timeout: \"soon\" is not a length of time"), "\(timeout.stderr)")
        try site.write("tessera.toml", "[gateway]\nlisten = \"127.0.0.1:0\"\nread_timeout = \"0s\"\n")
        let file = try ServeCommandTests.Server(["--site", site.path])
        #expect(await file.exitStatus() == 2)
        #expect(file.stderr.contains("tessera: error: \(site.path)/tessera.toml:3: read_timeout must be a length of time"), "\(file.stderr)")
    }
}
