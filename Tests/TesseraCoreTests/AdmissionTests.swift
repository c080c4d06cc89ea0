import Synchronization
import Testing
import TesseraMint
@testable import TesseraCore
import TesseraTestSupport

/// A ledger that records every call, to show which decisions reach it.
private final class SpyLedger: Ledger {
    let inner = InMemoryLedger()
    let calls = Mutex(0)

    func redeem(_ request: RedemptionRequest) async throws(LedgerError) -> Redemption {
        calls.withLock { $0 += 1 }
        return try await inner.redeem(request)
    }
    func acceptances(project: String?) async throws(LedgerError) -> [Acceptance] { try await inner.acceptances(project: project) }
    func acceptances(ofInvitation id: String) async throws(LedgerError) -> [Acceptance] { try await inner.acceptances(ofInvitation: id) }
    func prune(expiredBefore cutoff: Timestamp, dryRun: Bool) async throws(LedgerError) -> [String] {
        try await inner.prune(expiredBefore: cutoff, dryRun: dryRun)
    }
}

/// A ledger that is always down.
private struct BrokenLedger: Ledger {
    func redeem(_ request: RedemptionRequest) async throws(LedgerError) -> Redemption { throw .unavailable("disk on fire") }
    func acceptances(project: String?) async throws(LedgerError) -> [Acceptance] { throw .unavailable("disk on fire") }
    func acceptances(ofInvitation id: String) async throws(LedgerError) -> [Acceptance] { throw .unavailable("disk on fire") }
    func prune(expiredBefore cutoff: Timestamp, dryRun: Bool) async throws(LedgerError) -> [String] { throw .unavailable("disk on fire") }
}

private let now = Timestamp(seconds: 1_790_000_000)

/// The redeem policy of DESIGN §7 on top of any ledger.
@Suite(.offThePool) struct AdmissionTests {
    let key = SigningKey()

    private func token(_ invitation: Invitation) throws -> VerifiedToken {
        try Verifier(keyring: Keyring([key.publicKey])).verifySignature(Array(Minter(key: key).mint(invitation).utf8))
    }

    private func invitation(subject: String? = nil, uid: String? = nil, uses: Int? = nil, anonymous: Bool = false,
                            expires: Timestamp? = now.adding(seconds: 3600)) -> Invitation {
        Invitation(id: Minter.newInvitationID(), project: "lab", role: "viewer", issuedAt: now.adding(seconds: -60), expiresAt: expires,
                   subject: subject, userID: uid, uses: uses, anonymous: anonymous)
    }

    private func denial(_ body: () async throws(Denial) -> Admission.Grant) async -> Denial? {
        do {
            _ = try await body()
            return nil
        } catch {
            return error
        }
    }

    @Test func revokedExpiredAndMistargetedInvitationsNeverReachTheLedger() async throws {
        let spy = SpyLedger()
        let revokedOne = invitation()
        var revocations = RevocationList()
        revocations.insert(.invitation(revokedOne.id))
        let admission = Admission(verifier: Verifier(keyring: Keyring([key.publicKey]), revocations: revocations), ledger: spy)
        let cases: [(Invitation, AccessRequest, Reason)] = [
            (revokedOne, AccessRequest(subject: "ann"), .revoked),
            (invitation(expires: now.adding(seconds: -3600)), AccessRequest(subject: "ann"), .expired),
            (invitation(subject: "ann"), AccessRequest(subject: "bob"), .notForSubject),
            (invitation(subject: "ann"), AccessRequest(), .notForSubject),
            (invitation(), AccessRequest(), .notForSubject),
            (invitation(uid: "u-1"), AccessRequest(subject: "bob"), .notForSubject),
            (invitation(), AccessRequest(project: "other", subject: "ann"), .notForProject),
        ]
        for (invitation, request, reason) in cases {
            let verified = try token(invitation)
            #expect(await denial { () async throws(Denial) in try await admission.redeem(verified, at: now, for: request) }?.reason == reason)
            #expect(throws: Denial.self) { try Admission.precheck(verified, at: now, for: request, verifier: admission.verifier) }
        }
        #expect(spy.calls.withLock { $0 } == 0)
    }

    @Test func targetedUidAndAnonymousInvitationsPickTheSubject() async throws {
        let admission = Admission(verifier: Verifier(keyring: Keyring([key.publicKey])), ledger: InMemoryLedger())
        let targeted = try token(invitation(subject: "ann@example.org"))
        #expect(try await admission.redeem(targeted, at: now, for: AccessRequest(subject: "ann@example.org")).subject == "ann@example.org")

        let signup = try token(invitation(uid: "u-1042"))
        let created = try await admission.redeem(signup, at: now, for: AccessRequest())
        #expect(created.subject == "u-1042" && created.isFirstUse)
        let again = await denial { () async throws(Denial) in try await admission.redeem(signup, at: now, for: AccessRequest()) }
        #expect(again?.reason == .usedUp)
        #expect(again?.detail.contains("sign in as u-1042") == true)
        let back = try await admission.redeem(signup, at: now, for: AccessRequest(subject: "u-1042"))
        #expect(!back.isFirstUse)

        let anonymous = try token(invitation(uses: 2, anonymous: true))
        let first = try await admission.redeem(anonymous, at: now, for: AccessRequest())
        #expect(first.isNewAnonymousSubject && first.subject.hasPrefix(Admission.anonymousPrefix))
        let returning = try await admission.redeem(anonymous, at: now, for: AccessRequest(), anonymousSubject: first.subject)
        #expect(returning.subject == first.subject && !returning.isFirstUse && !returning.isNewAnonymousSubject)
        _ = try await admission.redeem(anonymous, at: now, for: AccessRequest())
        let third = await denial { () async throws(Denial) in try await admission.redeem(anonymous, at: now, for: AccessRequest()) }
        #expect(third?.reason == .usedUp)
    }

    @Test func aLedgerFailureIsDeniedAsUnavailable() async throws {
        let admission = Admission(verifier: Verifier(keyring: Keyring([key.publicKey])), ledger: BrokenLedger())
        let verified = try token(invitation())
        let refused = await denial { () async throws(Denial) in try await admission.redeem(verified, at: now, for: AccessRequest(subject: "ann")) }
        #expect(refused?.reason == .ledgerUnavailable)
        #expect(refused?.detail.contains("disk on fire") == true)
    }
}
