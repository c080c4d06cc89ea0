import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TesseraTestSupport
import TesseraCore
import TesseraMint
@testable import TesseraGateway

/// Hot reload of `revoked.txt` and the keys folder while requests keep flowing.
@Suite(.offThePool) struct ReloadTests {
    func status(_ client: some TestClientProtocol, _ token: String) async throws -> HTTPResponse.Status {
        try await client.execute(uri: "/verify", method: .get, headers: [.authorization: "Bearer \(token)"]).status
    }

    func health(_ client: some TestClientProtocol) async throws -> [String: Any] {
        let response = try await client.execute(uri: "/healthz", method: .get)
        return try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any])
    }

    @Test func revokingByEditingTheFileTakesEffectWithinASecond() async throws {
        let site = try TestSite()
        site.configuration.reloadInterval = .milliseconds(200)  // the production default: the promise must hold with it
        let invitation = site.invitation(anonymous: true)
        let token = site.mint(invitation)
        try await site.application().test(.router) { client in
            #expect(try await status(client, token) == .ok)
            try site.append("revoked.txt", invitation.id + "\n")
            let edited = try site.modificationTime("revoked.txt")
            #expect(try await waitUntil(patience) { try await status(client, token) == .forbidden } != nil)
            // The promise is about the gateway: the new list was in force within a second of the edit. Measured on
            // its own clock, so a busy test run (which slows the requests above) cannot blur it.
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            let reloaded = try #require(metric("tessera_last_reload_timestamp_seconds", in: metrics))
            #expect(reloaded - edited < 1.0, "the edit took \(reloaded - edited) s to take effect")
            // Un-revoking (an atomic rewrite) is followed just the same.
            try site.write("revoked.txt", "# nothing revoked\n")
            #expect(try await waitUntil(patience) { try await status(client, token) == .ok } != nil)
        }
    }

    @Test func brokenEditKeepsTheLastGoodListAndHealthzSaysWhere() async throws {
        let site = try TestSite()
        let invitation = site.invitation(anonymous: true)
        let token = site.mint(invitation)
        try site.write("revoked.txt", invitation.id + "\n")
        try await site.application().test(.router) { client in
            #expect(try await status(client, token) == .forbidden)
            #expect(try await health(client)["status"] as? String == "ok")
            try site.write("revoked.txt", "# an edit with a typo\nproject:talk 2026\n")
            let reported = try await waitUntil(patience) { try await health(client)["status"] as? String == "degraded" }
            #expect(reported != nil)
            let report = try await health(client)
            let problem = try #require((report["problems"] as? [[String: Any]])?.first)
            #expect(problem["line"] as? Int == 2)
            #expect((problem["file"] as? String)?.hasSuffix("revoked.txt") == true)
            #expect(report["revocation_entries"] as? Int == 1)
            // The last good list is still in force.
            #expect(try await status(client, token) == .forbidden)
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains("tessera_reload_problems 1"))

            try site.write("revoked.txt", "project:talk-2026\n")
            #expect(try await waitUntil(patience) { try await health(client)["status"] as? String == "ok" } != nil)
            #expect(try await status(client, token) == .ok)
        }
    }

    @Test func removedListOnceSeenKeepsTheLastGoodOne() async throws {
        let site = try TestSite()
        let invitation = site.invitation(anonymous: true)
        try site.write("revoked.txt", invitation.id + "\n")
        try await site.application().test(.router) { client in
            try site.remove("revoked.txt")
            #expect(try await waitUntil(patience) { try await health(client)["status"] as? String == "degraded" } != nil)
            #expect(try await status(client, site.mint(invitation)) == .forbidden)
        }
    }

    @Test func keysFolderIsFollowed() async throws {
        let site = try TestSite()
        let second = SigningKey()
        let token = Minter(key: second).mint(site.invitation(anonymous: true))
        let original = site.mint(site.invitation(anonymous: true))
        try await site.application().test(.router) { client in
            #expect(try await status(client, token) == .unauthorized)
            try site.write("keys/second.public.pem", second.publicKey.pemRepresentation)
            #expect(try await waitUntil(patience) { try await status(client, token) == .ok } != nil)
            #expect(try await status(client, original) == .ok)
            // Removing a key stops its tokens at once, even though their signatures were cached.
            try site.remove("keys/second.public.pem")
            #expect(try await waitUntil(patience) { try await status(client, token) == .unauthorized } != nil)
            // Removing every key is refused: the last good keyring stays, and /healthz says so.
            try site.remove("keys/main.public.pem")
            #expect(try await waitUntil(patience) { try await health(client)["status"] as? String == "degraded" } != nil)
            #expect(try await status(client, original) == .ok)
        }
    }

    @Test func startUpRefusesABrokenList() throws {
        let site = try TestSite(revoked: "ok-looking\nnot an entry\n")
        let error = #expect(throws: GatewayError.self) { _ = try site.application() }
        #expect(error?.message.contains("revoked.txt:1:") == true)
    }

    /// Reloads swap the verifier under live traffic: every request on one kept-alive connection is answered,
    /// and the answers follow the edits, which revoke and restore the very invitation being presented.
    @Test(.timeLimit(.minutes(1)))
    func reloadsDoNotDropRequests() async throws {
        let site = try TestSite()
        let invitation = site.invitation(anonymous: true)
        let token = site.mint(invitation)
        let (gateway, port) = try await HostileClientTests.startGateway(site)
        defer { gateway.stop() }
        let editing = Flag()
        let editor = Task {
            defer { editing.lower() }
            for index in 0..<24 {
                // Even edits revoke the invitation in use; odd ones restore it. Each holds for a few reload intervals.
                try site.write("revoked.txt", index % 2 == 0 ? "\(invitation.id)  # edit \(index)\n" : "# edit \(index)\nproject:other\n")
                try await Task.sleep(for: .milliseconds(150))
            }
        }
        editing.raise()
        let statuses = try await offThePool { () -> (answers: [Int], closed: Bool) in
            let connection = try RawConnection(port: port)
            var answers: [Int] = []
            // HEAD: every answer is a head alone, so one answer ends at its blank line.
            let request = "HEAD /verify HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer \(token)\r\n\r\n"
            while editing.isRaised || answers.count < 50 {
                guard connection.send(request) else { return (answers, true) }
                let answer = connection.receive(for: .seconds(5)) { $0.count >= 4 && Array($0.suffix(4)) == Array("\r\n\r\n".utf8) }
                let status = RawConnection.statuses(in: answer.bytes)
                guard status.count == 1 else { return (answers, true) }
                answers.append(status[0])
                if answer.closed { return (answers, true) }
            }
            return (answers, connection.hasHungUp())
        }
        try await editor.value
        #expect(!statuses.closed, "the connection was dropped after \(statuses.answers.count) answers")
        #expect(statuses.answers.allSatisfy { $0 == 200 || $0 == 403 }, "unexpected answers: \(Set(statuses.answers))")
        // Both answers seen: the edits took effect during the traffic, so the requests did overlap reloads.
        #expect(statuses.answers.contains(200) && statuses.answers.contains(403), "\(statuses.answers.count) answers: \(Set(statuses.answers))")
    }
}

/// A flag shared between a task and a thread.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func raise() { lock.withLock { value = true } }
    func lower() { lock.withLock { value = false } }
    var isRaised: Bool { lock.withLock { value } }
}
