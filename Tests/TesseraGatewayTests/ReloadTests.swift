import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TesseraCore
import TesseraMint
@testable import TesseraGateway

/// Hot reload of `revoked.txt` and the keys folder while requests keep flowing.
@Suite struct ReloadTests {
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

    @Test func reloadsDoNotDropRequests() async throws {
        let site = try TestSite()
        let token = site.mint(site.invitation(anonymous: true))
        try await site.application().test(.router) { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for index in 0..<20 {
                        try site.write("revoked.txt", "# edit \(index)\nproject:other\n")
                        try await Task.sleep(for: .milliseconds(15))
                    }
                }
                group.addTask { () async throws -> Void in
                    for _ in 0..<200 {
                        let answer = try await status(client, token)
                        #expect(answer == .ok)
                    }
                }
                try await group.waitForAll()
            }
        }
    }
}
