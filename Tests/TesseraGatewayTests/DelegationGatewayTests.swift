import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TesseraCore
import TesseraMint
@testable import TesseraGateway
import TesseraTestSupport

/// Tokens minted under a delegation (DESIGN §11) through `/verify` in-process: the gateway
/// trusts only the site's root key and needs no change when a project admin is added.
@Suite(.offThePool) struct DelegationGatewayTests {
    let admin = SigningKey()

    private func status(_ client: some TestClientProtocol, _ token: String) async throws -> HTTPResponse.Status {
        try await client.execute(uri: "/verify", method: .get, headers: [.authorization: "Bearer \(token)"]).status
    }

    private func delegatedMinter(signedBy root: SigningKey, roles: [String] = ["viewer"]) -> Minter {
        let now = Timestamp.now
        let delegation = Delegation(name: "alice-lab", key: admin.publicKey, projects: ["lab"], roles: roles,
                                    issuedAt: Timestamp(seconds: now.seconds - 60), expiresAt: Timestamp(seconds: now.seconds + 86_400))
        return Minter(key: admin, delegation: Minter(key: root).sign(delegation))
    }

    @Test func inScopeIsGrantedAndEverythingElseRefused() async throws {
        let site = try TestSite()
        let minter = delegatedMinter(signedBy: site.key)
        let granted = site.invitation(role: "viewer", anonymous: true)
        try await site.application().test(.router) { client in
            try await client.execute(uri: "/verify", method: .get, headers: [.authorization: "Bearer \(minter.mint(granted))"]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[header("X-Tessera-Project")] == "lab")
                #expect(response.headers[header("X-Tessera-Invitation")] == granted.id)
            }
            // Twice: the second time the delegation (and the token) come from the caches.
            #expect(try await status(client, minter.mint(site.invitation(role: "viewer", anonymous: true))) == .ok)
            // A role the delegation does not name.
            #expect(try await status(client, minter.mint(site.invitation(role: "admin", anonymous: true))) == .forbidden)
            // A project outside it.
            #expect(try await status(client, minter.mint(site.invitation(project: "other", anonymous: true))) == .forbidden)
            // A delegation from a root this gateway does not trust.
            let foreign = delegatedMinter(signedBy: SigningKey())
            #expect(try await status(client, foreign.mint(site.invitation(anonymous: true))) == .unauthorized)
            // The admin's key without its delegation.
            #expect(try await status(client, Minter(key: admin).mint(site.invitation(anonymous: true))) == .unauthorized)
        }
    }

    @Test func oneKeyLineRevokesEverythingTheProjectAdminMinted() async throws {
        let site = try TestSite()
        let minter = delegatedMinter(signedBy: site.key)
        let token = minter.mint(site.invitation(anonymous: true))
        try await site.application().test(.router) { client in
            #expect(try await status(client, token) == .ok)
            try site.append("revoked.txt", "key:\(admin.publicKey.id)\n")
            #expect(try await waitUntil(patience) { try await status(client, token) == .forbidden } != nil)
            // Lifting it restores access: the verdict was never cached, only the signatures.
            try site.write("revoked.txt", "# nothing revoked\n")
            #expect(try await waitUntil(patience) { try await status(client, token) == .ok } != nil)
            try site.write("revoked.txt", "key:\(site.key.publicKey.id)\n")
            #expect(try await waitUntil(patience) { try await status(client, token) == .forbidden } != nil)
        }
    }
}
