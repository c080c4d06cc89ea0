import Crypto
import Logging
import TesseraCore

/// The gateway's policy (DESIGN §9) over HTTP-free inputs: decides `/verify` requests and redeems `/join` ones.
///
/// Holds the verifier in force, the signature cache and the ledger. Every decision re-checks
/// time, revocation and the ledger; only the signature check is remembered.
final class Gatekeeper: Sendable {
    let store: VerifierStore
    let cache: SignatureCache
    let ledger: any Ledger
    let metrics: GatewayMetrics
    let logger: Logger
    /// Called after each redemption that added a row (rings the `--on-join` notifier).
    let onNewMember: @Sendable () -> Void

    /// The subject passed on for an anonymous invitation used without joining: no ledger row is written for it.
    static let anonymousSubject = "anonymous"
    /// The most cookies tried per request: enough for several projects on one host, few enough to bound the work.
    static let maximumCandidates = 4

    init(store: VerifierStore, cache: SignatureCache, ledger: any Ledger, metrics: GatewayMetrics, logger: Logger,
         onNewMember: @escaping @Sendable () -> Void = {}) {
        self.onNewMember = onNewMember
        self.store = store
        self.cache = cache
        self.ledger = ledger
        self.metrics = metrics
        self.logger = logger
    }

    /// A candidate token's state once everything but the ledger is checked.
    enum Step {
        case decided(Decision)
        case redeem(PendingRedemption)
    }

    /// A redemption that decides a candidate: its admission, token and request.
    struct PendingRedemption: Sendable {
        let admission: Admission
        let verified: VerifiedToken
        let request: AccessRequest
        let anonymousSubject: String?
    }

    /// Signature-cache look-ups and new entries of one decision, applied (counted, remembered) only when the decision is kept.
    struct SignatureChecks {
        var hits = 0
        var misses = 0
        var verified: [(key: SHA256Digest, token: VerifiedToken, generation: Int)] = []
    }

    /// How far `decideNow` got: the decision, or word that a candidate needs the ledger.
    enum Progress {
        case decided(Decision)
        case needsLedger
    }

    /// Decides a `/verify` request: the first candidate token that grants wins; otherwise the most telling refusal.
    func decide(_ presentation: Presentation, at now: Timestamp) async -> Decision {
        guard !presentation.tokens.isEmpty else { return .missingToken }
        let snapshot = store.snapshot
        if snapshot.revocationsExpired(at: now) { return .denied(Self.expiredList(snapshot)) }
        var refusal: Denial?
        var checks = SignatureChecks()
        defer { keep(checks) }
        for token in presentation.tokens.prefix(Self.maximumCandidates) {
            let decision: Decision
            switch step(token: token, presentation, at: now, snapshot: snapshot, checks: &checks) {
            case .decided(let decided): decision = decided
            case .redeem(let redemption): decision = await redeem(redemption, at: now)
            }
            if let granted = Self.merge(decision, into: &refusal) { return granted }
        }
        return refusal.map(Decision.denied) ?? .missingToken
    }

    /// Decides a `/verify` request when no candidate needs the ledger, without suspending (on the event loop); else
    /// `.needsLedger`, having changed nothing: `decide` then makes the whole decision.
    func decideNow(_ presentation: Presentation, at now: Timestamp) -> Progress {
        guard !presentation.tokens.isEmpty else { return .decided(.missingToken) }
        let snapshot = store.snapshot
        if snapshot.revocationsExpired(at: now) { return .decided(.denied(Self.expiredList(snapshot))) }
        var refusal: Denial?
        var checks = SignatureChecks()
        for token in presentation.tokens.prefix(Self.maximumCandidates) {
            guard case .decided(let decision) = step(token: token, presentation, at: now, snapshot: snapshot, checks: &checks) else {
                return .needsLedger
            }
            if let granted = Self.merge(decision, into: &refusal) {
                keep(checks)
                return .decided(granted)
            }
        }
        keep(checks)
        return .decided(refusal.map(Decision.denied) ?? .missingToken)
    }

    /// A grant ends the search; a refusal is kept if it says more than the one kept so far.
    private static func merge(_ decision: Decision, into refusal: inout Denial?) -> Decision? {
        switch decision {
        case .granted:
            return decision
        case .denied(let denial):
            // With one cookie per project, the others' "not for this project" says least about why access failed.
            if refusal == nil || (refusal?.reason == .notForProject && denial.reason != .notForProject) { refusal = denial }
        case .missingToken:
            break
        }
        return nil
    }

    /// Counts a decision's cache look-ups and remembers the signatures it verified.
    private func keep(_ checks: SignatureChecks) {
        for _ in 0..<checks.hits { metrics.recordSignatureCacheLookup(hit: true) }
        for _ in 0..<checks.misses { metrics.recordSignatureCacheLookup(hit: false) }
        for entry in checks.verified { cache.insert(entry.token, for: entry.key, keyringGeneration: entry.generation) }
    }

    /// One candidate token as far as it can be decided without the ledger: a decision, or the redemption that decides it.
    private func step(token: [UInt8], _ presentation: Presentation, at now: Timestamp, snapshot: VerifierStore.Snapshot,
                      checks: inout SignatureChecks) -> Step {
        let verifier = snapshot.verifier
        let verified: VerifiedToken
        do {
            verified = try verify(token, with: snapshot, checks: &checks)
        } catch {
            return .decided(.denied(error))
        }
        var project: String?
        switch presentation.project {
        case .any:
            break
        case .project(let name):
            project = name
        case .unresolved(let why):
            // Time and revocation come first, so an expired token still answers 401 rather than 403.
            do {
                let invitation = try verifier.authorize(verified, at: now)
                return .decided(.denied(Denial(.notForProject, "invitation \(invitation.id) is for project \(invitation.project), but \(why)", invitation: invitation)))
            } catch {
                return .decided(.denied(error))
            }
        }
        let admission = Admission(verifier: verifier, ledger: ledger)
        switch presentation.subject {
        case .identity(let subject):
            return .redeem(PendingRedemption(admission: admission, verified: verified, request: AccessRequest(project: project, subject: subject), anonymousSubject: nil))
        case .anonymous(let anonymous) where verified.invitation.anonymous:
            return .redeem(PendingRedemption(admission: admission, verified: verified, request: AccessRequest(project: project), anonymousSubject: anonymous))
        case .refused(let why):
            do {
                let invitation = try verifier.authorize(verified, at: now)
                return .decided(.denied(Denial(.notForSubject, why, invitation: invitation)))
            } catch {
                return .decided(.denied(error))
            }
        case .anonymous, nil:
            break
        }
        // Nobody known is asking: only an unlimited anonymous invitation admits, and then without a ledger row.
        let invitation: Invitation
        do {
            invitation = try verifier.authorize(verified, at: now, for: AccessRequest(project: project, requiresIdentity: true))
        } catch {
            return .decided(.denied(error))
        }
        if let uid = invitation.userID {
            return .decided(.denied(Denial(.notForSubject, "invitation \(invitation.id) creates the account \(uid): sign in as \(uid)", invitation: invitation)))
        }
        if invitation.anonymous {
            if let uses = invitation.uses {
                return .decided(.denied(Denial(.notForSubject, "invitation \(invitation.id) admits \(uses) \(uses == 1 ? "person" : "people"): join through its link first", invitation: invitation)))
            }
            // A membership that ends needs a row to end from.
            if invitation.memberFor != nil {
                return .decided(.denied(Denial(.notForSubject, "invitation \(invitation.id) gives memberships that end: join through its link first", invitation: invitation)))
            }
            return .decided(.granted(subject: Self.anonymousSubject, invitation: invitation))
        }
        return .decided(.denied(Denial(.notForSubject, "invitation \(invitation.id) is for signed-in people: sign in to use it", invitation: invitation)))
    }

    private func redeem(_ redemption: PendingRedemption, at now: Timestamp) async -> Decision {
        await redeem(redemption.admission, redemption.verified, at: now, redemption.request, anonymousSubject: redemption.anonymousSubject)
    }

    private func redeem(_ admission: Admission, _ verified: VerifiedToken, at now: Timestamp, _ request: AccessRequest, anonymousSubject: String?) async -> Decision {
        do {
            let grant = try await admission.redeem(verified, at: now, for: request, anonymousSubject: anonymousSubject)
            if grant.isFirstUse {
                metrics.recordNewMember()
                onNewMember()
                logger.notice("invitation accepted", metadata: [
                    "invitation.id": .string(grant.invitation.id), "subject": .string(grant.subject),
                    "project": .string(grant.invitation.project), "uses.taken": .stringConvertible(grant.usesTaken),
                ])
            }
            return .granted(subject: grant.subject, invitation: grant.invitation)
        } catch {
            return .denied(error)
        }
    }

    /// Redeems a token presented to `/join`: who joins is the signed-in subject, the invitation's `uid` or target, or an anonymous subject (the cookie's, or a new one).
    func join(_ token: [UInt8], subject: Presentation.Subject?, at now: Timestamp) async -> Result<Admission.Grant, Denial> {
        let snapshot = store.snapshot
        if snapshot.revocationsExpired(at: now) { return .failure(Self.expiredList(snapshot)) }
        let verified: VerifiedToken
        do {
            verified = try verify(token, with: snapshot)
        } catch {
            return .failure(error)
        }
        let admission = Admission(verifier: snapshot.verifier, ledger: ledger)
        var request = AccessRequest()
        var anonymous: String?
        switch subject {
        case .identity(let name): request.subject = name
        case .anonymous(let name): anonymous = name
        case .refused(let why):
            do {
                let invitation = try snapshot.verifier.authorize(verified, at: now)
                return .failure(Denial(.notForSubject, why, invitation: invitation))
            } catch {
                return .failure(error)
            }
        case nil: break
        }
        do {
            let grant = try await admission.redeem(verified, at: now, for: request, anonymousSubject: anonymous)
            if grant.isFirstUse {
                metrics.recordNewMember()
                onNewMember()
            }
            return .success(grant)
        } catch {
            return .failure(error)
        }
    }

    /// The refusal while the signed list in force has expired: fail closed (503) until a fresh one arrives.
    static func expiredList(_ snapshot: VerifierStore.Snapshot) -> Denial {
        Denial(.revocationListExpired, "the revocation list in force expired at \(snapshot.revocationsExpireAt?.rfc3339 ?? "?"); nothing is granted until a fresh one is loaded")
    }

    /// Checks a token's signature, or finds it already checked under the keys in force; counts and remembers at once.
    func verify(_ token: [UInt8], with snapshot: VerifierStore.Snapshot) throws(Denial) -> VerifiedToken {
        var checks = SignatureChecks()
        defer { keep(checks) }
        return try verify(token, with: snapshot, checks: &checks)
    }

    /// Checks a token's signature, or finds it already checked under the keys in force; the look-up and any new entry go to `checks`.
    private func verify(_ token: [UInt8], with snapshot: VerifierStore.Snapshot, checks: inout SignatureChecks) throws(Denial) -> VerifiedToken {
        // Oversized input is refused by the verifier before any work; hashing it first would only cost time.
        guard cache.capacity > 0, token.count <= SignedToken.maximumLength else {
            return try snapshot.verifier.verifySignature(token)
        }
        let key = SignatureCache.key(for: token)
        if let hit = cache.value(for: key, keyringGeneration: snapshot.keyringGeneration) {
            checks.hits += 1
            return hit
        }
        checks.misses += 1
        let verified = try snapshot.verifier.verifySignature(token)
        checks.verified.append((key, verified, snapshot.keyringGeneration))
        return verified
    }
}
