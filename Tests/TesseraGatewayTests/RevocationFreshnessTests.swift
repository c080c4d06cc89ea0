import Foundation
import Hummingbird
import Testing
import TesseraTestSupport
import TesseraCore
import TesseraMint
@testable import TesseraGateway

/// Issue 11, item 7: a signed revocation list cannot freeze revocation on a running gateway.
@Suite(.offThePool) struct RevocationFreshnessTests {
    func signedList(_ site: TestSite, key: SigningKey? = nil, iat: Timestamp, exp: Timestamp? = nil, entries: [String] = []) -> String {
        Minter(key: key ?? site.key).sign(SignedRevocationList(issuedAt: iat, expiresAt: exp, list: RevocationList(entries.map { RevocationList.Entry($0)! }))) + "\n"
    }

    @Test(.timeLimit(.minutes(1)))
    func aServeWhoseListExpiredAnswers503UntilAFreshOneArrives() async throws {
        let site = try TestSite()
        site.configuration.leeway = 0
        site.configuration.revocationSource = .file(site.folder.appendingPathComponent("revoked.paseto").path)
        let now = Timestamp(seconds: Timestamp.now.seconds)
        // Eight seconds of validity: usually enough for a loaded machine to start the gateway and answer once.
        let expiry = now.adding(seconds: 8)
        try site.write("revoked.paseto", signedList(site, iat: now, exp: expiry))
        let token = site.mint(site.invitation(anonymous: true))
        let (gateway, port) = try await HostileClientTests.startGateway(site)
        defer { gateway.stop() }
        let verify = { try await RawHTTP.perform(port: port, "GET", "/verify", headers: [("Authorization", "Bearer \(token)")]) }
        let first = try await verify()
        // Only meaningful while the list was still valid: under a full parallel run the first answer may come later.
        if Timestamp.now < expiry { #expect(first.status == 200) }

        let failedClosed = try await waitUntil(.seconds(20)) { try await verify().status == 503 }
        #expect(failedClosed != nil, "an expired list kept granting")
        let refused = try await verify()
        #expect(refused.header("X-Tessera-Reason") == "revocation_list_expired")
        let health = try await RawHTTP.perform(port: port, "GET", "/healthz")
        #expect(health.status == 503)
        #expect(health.body.contains("\"revocation_list\":\"expired at"), "\(health.body)")

        // A fresh list ends it.
        let fresh = Timestamp(seconds: Timestamp.now.seconds)
        try site.write("revoked.paseto", signedList(site, iat: fresh, exp: fresh.adding(seconds: 3600)))
        let recovered = try await waitUntil(patience) { try await verify().status == 200 }
        #expect(recovered != nil)
        #expect(try await RawHTTP.perform(port: port, "GET", "/healthz").status == 200)
    }

    /// An outside review replaced a signed list at `--revoked lists/r.paseto` with plain text: within 2 s the revoked
    /// invitation was granted again, and an expired list's 503 went away. A plain list replaces neither a file named
    /// `*.paseto` nor any file whose list in force came signed (here `revoked.list`); the list in force stays.
    @Test(.timeLimit(.minutes(1)), arguments: ["revoked.paseto", "revoked.list"])
    func aPlainListDoesNotReplaceASignedOne(_ name: String) async throws {
        let site = try TestSite()
        site.configuration.revocationSource = .file(site.folder.appendingPathComponent(name).path)
        let now = Timestamp(seconds: Timestamp.now.seconds)
        let victim = site.invitation(anonymous: true)
        try site.write(name, signedList(site, iat: now.adding(seconds: -60), entries: [victim.id]))
        let (gateway, port) = try await HostileClientTests.startGateway(site)
        defer { gateway.stop() }
        let token = site.mint(victim)
        let verify = { try await RawHTTP.perform(port: port, "GET", "/verify", headers: [("Authorization", "Bearer \(token)")]) }
        #expect(try await verify().status == 403)

        try site.write(name, "# nothing revoked\n")
        let reported = try await waitUntil(patience) { try await RawHTTP.perform(port: port, "GET", "/healthz").body.contains("not a signed revocation list") }
        #expect(reported != nil, "the plain list was not refused")
        #expect(try await verify().status == 403, "a plain list replaced the signed one")
        #expect(try await RawHTTP.perform(port: port, "GET", "/healthz").body.contains("\"status\":\"degraded\""))

        // A newer signed list is still taken.
        try site.write(name, signedList(site, iat: now))
        let taken = try await waitUntil(patience) { try await verify().status == 200 }
        #expect(taken != nil, "a genuine signed list after the plain one was refused")
    }

    @Test(.timeLimit(.minutes(1)))
    func aFutureListOrOneSignedByARevokedKeyIsNotTakenOnAReload() async throws {
        let site = try TestSite()
        let old = SigningKey()
        try site.write("keys/old.public.pem", old.publicKey.pemRepresentation)
        site.configuration.revocationSource = .file(site.folder.appendingPathComponent("revoked.paseto").path)
        let now = Timestamp(seconds: Timestamp.now.seconds)
        let victim = site.invitation(anonymous: true)
        try site.write("revoked.paseto", signedList(site, iat: now.adding(seconds: -60), entries: [victim.id, "key:\(old.publicKey.id)"]))
        let (gateway, port) = try await HostileClientTests.startGateway(site)
        defer { gateway.stop() }
        let token = site.mint(victim)
        let verify = { try await RawHTTP.perform(port: port, "GET", "/verify", headers: [("Authorization", "Bearer \(token)")]) }
        #expect(try await verify().status == 403)

        // Dated a day ahead: refused (shown on /healthz), the list in force stays, and it is not remembered.
        try site.write("revoked.paseto", signedList(site, iat: now.adding(seconds: 86_400)))
        let reported = try await waitUntil(patience) { try await RawHTTP.perform(port: port, "GET", "/healthz").body.contains("in the future") }
        #expect(reported != nil)
        #expect(try await verify().status == 403)
        let memo = (try? String(contentsOf: site.folder.appendingPathComponent("state/revocation-list.iat"), encoding: .utf8)) ?? ""
        #expect(!memo.contains(now.adding(seconds: 86_400).rfc3339.prefix(16)), "the future list was remembered: \(memo)")

        // Signed by the revoked key: refused, though newer.
        try site.write("revoked.paseto", signedList(site, key: old, iat: now))
        let refusedRevokedKey = try await waitUntil(patience) { try await RawHTTP.perform(port: port, "GET", "/healthz").body.contains("which the revocation list in force revokes") }
        #expect(refusedRevokedKey != nil)
        #expect(try await verify().status == 403)

        // A genuine newer list from the trusted key is taken: the future one froze nothing.
        try site.write("revoked.paseto", signedList(site, iat: now, entries: ["key:\(old.publicKey.id)"]))
        let taken = try await waitUntil(patience) { try await verify().status == 200 }
        #expect(taken != nil, "a genuine list after a future-dated one was refused")
    }
}
