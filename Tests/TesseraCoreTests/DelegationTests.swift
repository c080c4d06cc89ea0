import Foundation
import Testing
import TesseraMint
@testable import TesseraCore
import TesseraTestSupport

private let now = Timestamp(seconds: 1_790_000_000)

/// Delegated keys (DESIGN §11) through the library: minting under a delegation, the verifier's
/// checks and cache, and revocation of the delegated key or its root. The hostile vectors
/// (`Vectors/hostile/delegation_*.json`) cover each refusal as data; these cover what data cannot.
@Suite(.offThePool) struct DelegationTests {
    let root = SigningKey()
    let admin = SigningKey()

    private func delegation(projects: [String] = ["lab"], roles: [String] = ["viewer"], expires: Timestamp = now.adding(seconds: 86_400),
                            maximumExpiry: Int64? = nil, maximumUses: Int? = nil) -> Delegation {
        Delegation(name: "alice-lab", key: admin.publicKey, projects: projects, roles: roles, issuedAt: now.adding(seconds: -3600),
                   expiresAt: expires, maximumExpiry: maximumExpiry, maximumUses: maximumUses)
    }

    private func invitation(project: String = "lab", role: String = "viewer", expires: Timestamp? = now.adding(seconds: 3600), uses: Int? = nil) -> Invitation {
        Invitation(id: Minter.newInvitationID(), project: project, role: role, issuedAt: now.adding(seconds: -60), expiresAt: expires, uses: uses)
    }

    private func mint(_ invitation: Invitation, under delegation: Delegation) -> [UInt8] {
        Array(Minter(key: admin, delegation: Minter(key: root).sign(delegation)).mint(invitation).utf8)
    }

    @Test func aTokenUnderADelegationVerifiesWithTheRootKeyOnly() throws {
        let verifier = Verifier(keyring: Keyring([root.publicKey]))
        let token = mint(invitation(), under: delegation())
        let verified = try verifier.verifySignature(token)
        #expect(verified.keyID == admin.publicKey.id)
        #expect(verified.delegation?.delegation.name == "alice-lab")
        #expect(verified.delegation?.signer == root.publicKey.id)
        _ = try verifier.authorize(verified, at: now)
        // The invitation itself is an ordinary v4.public token under the delegated key.
        let parsed = try SignedToken(parsing: token, maximumFooterLength: Footer.maximumDelegatedLength)
        #expect(parsed.isSigned(by: admin.publicKey))
        // Without the root, the admin's key is just an unknown key.
        #expect(throws: Denial.self) { try Verifier(keyring: Keyring([])).verifySignature(token) }
        do {
            _ = try Verifier(keyring: Keyring([SigningKey().publicKey])).verifySignature(token)
            Issue.record("accepted under an untrusted root")
        } catch {
            #expect(error.reason == .unknownKey)
            #expect(error.detail.contains("not a trusted root key"))
        }
    }

    @Test func theCacheSkipsTheRootSignatureButNotTheKeyringOrTheClock() throws {
        let cache = DelegationCache(capacity: 4)
        var verifier = Verifier(keyring: Keyring([root.publicKey]), delegationCache: cache)
        let issued = delegation(expires: now.adding(seconds: 600))
        _ = try verifier.verify(mint(invitation(), under: issued), at: now)
        _ = try verifier.verify(mint(invitation(), under: issued), at: now)
        #expect(cache.count == 1)
        // Expiry is checked on every use, cached or not.
        do {
            _ = try verifier.verify(mint(invitation(), under: issued), at: now.adding(seconds: 3600))
            Issue.record("accepted under an expired delegation")
        } catch {
            #expect(error.reason == .expired)
            #expect(error.detail.contains("delegation alice-lab"))
        }
        // A root taken out of the keyring stops counting at once, even for a cached delegation.
        verifier.keyring = Keyring([SigningKey().publicKey])
        do {
            _ = try verifier.verify(mint(invitation(), under: issued), at: now)
            Issue.record("a cached delegation outlived its root")
        } catch {
            #expect(error.reason == .unknownKey)
        }
        // Bounded: the oldest entry goes.
        verifier.keyring = Keyring([root.publicKey])
        for index in 0..<6 {
            var other = issued
            other.name = "d\(index)"
            _ = try verifier.verify(mint(invitation(), under: other), at: now)
        }
        #expect(cache.count == 4)
    }

    @Test func scopeIsEnforcedAfterTheSignatures() throws {
        let verifier = Verifier(keyring: Keyring([root.publicKey]))
        let limited = delegation(projects: ["lab", "talk"], roles: ["viewer", "editor"], maximumExpiry: 7 * 86_400, maximumUses: 3)
        _ = try verifier.verify(mint(invitation(project: "talk", role: "editor", uses: 3), under: limited), at: now)
        let cases: [(Invitation, String)] = [
            (invitation(project: "other", uses: 1), "project other is outside delegation alice-lab, which allows projects lab, talk"),
            (invitation(role: "admin", uses: 1), "role admin is outside delegation alice-lab, which allows roles viewer, editor"),
            (invitation(expires: now.adding(seconds: 8 * 86_400), uses: 1), "which allows at most 7d"),
            (invitation(expires: nil, uses: 1), "a never-expiring invitation is outside delegation alice-lab"),
            (invitation(uses: 4), "4 uses are outside delegation alice-lab, which allows at most 3"),
            (invitation(), "unlimited uses are outside delegation alice-lab"),
        ]
        for (invitation, detail) in cases {
            do {
                _ = try verifier.verify(mint(invitation, under: limited), at: now)
                Issue.record("accepted outside the delegation: \(detail)")
            } catch {
                #expect(error.reason == .outsideDelegation)
                #expect(error.reason.exitCode == 14)
                #expect(error.detail.contains(detail), "\(error.detail)")
            }
        }
    }

    @Test func keyEntriesForTheDelegatedKeyOrItsRootRevoke() throws {
        let token = mint(invitation(), under: delegation())
        for entry in ["key:" + admin.publicKey.id.rawValue, "key:" + root.publicKey.id.rawValue] {
            let verifier = Verifier(keyring: Keyring([root.publicKey]), revocations: try RevocationList(parsing: Array(entry.utf8)))
            do {
                _ = try verifier.verify(token, at: now)
                Issue.record("\(entry) did not revoke")
            } catch {
                #expect(error.reason == .revoked)
            }
        }
        // Another root's entry does not.
        let other = Verifier(keyring: Keyring([root.publicKey]),
                             revocations: try RevocationList(parsing: Array(("key:" + SigningKey().publicKey.id.rawValue).utf8)))
        _ = try other.verify(token, at: now)
    }

    @Test func everyRefusalHasAHostileVector() throws {
        let names = Set(try Vectors.Hostile.all().map(\.name))
        for name in ["untrusted_root", "role_widened", "project_outside_scope", "expired", "kid_swapped", "oversized", "nested", "chained",
                     "base64_trailing_bits", "duplicate_key", "exp_missing", "expiry_beyond_max", "uses_beyond_max", "no_expiry_under_max",
                     "unlimited_uses_under_max", "bad_signature", "revoked_delegated_key", "revoked_root_key", "unknown_claim", "footer_oversized",
                     "dlg_not_string", "valid"] {
            #expect(names.contains("delegation_" + name), "missing vector delegation_\(name)")
        }
    }

    @Test func claimsRoundTripAndUnknownClaimsAreRefused() throws {
        let original = delegation(maximumExpiry: 30 * 86_400, maximumUses: 10)
        let json = original.claimsJSON()
        #expect(try Delegation(claimsJSON: json) == original)
        let widened = Array(String(decoding: json, as: UTF8.self).replacingOccurrences(of: "\"max_uses\"", with: "\"max_usez\"").utf8)
        #expect(throws: Delegation.ClaimError.unknown("max_usez")) { try Delegation(claimsJSON: widened) }
    }

    @Test func aFooterWithoutDelegationKeepsTheOldCap() throws {
        let kid = root.publicKey.id.rawValue
        let padded = Array(("{\"kid\":\"" + kid + "\"" + String(repeating: " ", count: 600) + "}").utf8)
        #expect(throws: Footer.Error.tooLong) { try Footer.parse(padded) }
        let delegated = Array(("{\"kid\":\"" + kid + "\",\"dlg\":\"" + String(repeating: "a", count: 600) + "\"}").utf8)
        #expect(try Footer.parse(delegated).delegation?.count == 600)
        // A delegation's own footer (and a revocation list's) may not carry one.
        let small = Array(("{\"kid\":\"" + kid + "\",\"dlg\":\"v4.public.x\"}").utf8)
        #expect(throws: Footer.Error.unexpectedMember("dlg")) { try Footer.keyID(in: small) }
    }
}
