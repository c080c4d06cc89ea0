import Testing
@testable import TesseraCore
import TesseraTestSupport

/// Every hostile vector (`Vectors/hostile/<defect>.json`) gives exactly its expected reason through the library.
@Suite(.offThePool) struct HostileVectorTests {
    static let vectors = (try? Vectors.Hostile.all()) ?? []

    @Test func vectorsLoad() throws {
        let all = try Vectors.Hostile.all()
        #expect(all.count >= 80)
        // Each DESIGN §3 strictness rule has at least one hostile case.
        for name in ["base64_padding", "base64_trailing_bits", "base64_plus_instead_of_minus", "base64_slash_instead_of_underscore",
                     "trailing_dot", "short_body", "short_body_signature_only", "payload_array", "payload_duplicate_key",
                     "payload_not_utf8", "footer_nested", "footer_oversized", "token_oversized", "signature_s_plus_l",
                     "unknown_kid", "time_lowercase_t", "wrong_version_v3", "wrong_purpose_local"] {
            #expect(all.contains { $0.name == name }, "missing vector \(name)")
        }
    }

    @Test(arguments: vectors)
    func vectorGivesItsReason(_ vector: Vectors.Hostile) throws {
        let keys = try Vectors.Hostile.trustedKeys().map { try #require(PublicKey(paserk: $0)) }
        let revocations = try RevocationList(parsing: Array((vector.revoked ?? []).joined(separator: "\n").utf8))
        let verifier = Verifier(keyring: Keyring(keys), revocations: revocations, audience: vector.audience)
        let at = try #require(Timestamp(rfc3339: vector.at))
        let request = AccessRequest(project: vector.project, subject: vector.subject)
        do {
            let invitation = try verifier.verify(Array(vector.token.utf8), at: at, for: request)
            #expect(vector.expect == "valid", "\(vector.name) (\(vector.defect)): accepted invitation \(invitation.id)")
        } catch {
            #expect(error.reason.rawValue == vector.expect, "\(vector.name) (\(vector.defect)): \(error.detail)")
            #expect(error.reason.exitCode == vector.exit)
            #expect(!error.detail.contains(vector.token), "the detail must not repeat the token")
        }
    }
}
