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

    /// Decides a `/verify` request: the first candidate token that grants wins; otherwise the most telling refusal.
    func decide(_ presentation: Presentation, at now: Timestamp) async -> Decision {
        guard !presentation.tokens.isEmpty else { return .missingToken }
        let snapshot = store.snapshot
        if snapshot.revocationsExpired(at: now) { return .denied(Self.expiredList(snapshot)) }
        var refusal: Denial?
        for token in presentation.tokens.prefix(Self.maximumCandidates) {
            switch await decide(token: token, presentation, at: now, snapshot: snapshot) {
            case .granted(let subject, let invitation):
                return .granted(subject: subject, invitation: invitation)
            case .denied(let denial):
                // With one cookie per project, the others' "not for this project" says least about why access failed.
                if refusal == nil || (refusal?.reason == .notForProject && denial.reason != .notForProject) { refusal = denial }
            case .missingToken:
                break
            }
        }
        return refusal.map(Decision.denied) ?? .missingToken
    }

    private func decide(token: [UInt8], _ presentation: Presentation, at now: Timestamp, snapshot: VerifierStore.Snapshot) async -> Decision {
        let verifier = snapshot.verifier
        let verified: VerifiedToken
        do {
            verified = try verify(token, with: snapshot)
        } catch {
            return .denied(error)
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
                return .denied(Denial(.notForProject, "invitation \(invitation.id) is for project \(invitation.project), but \(why)", invitation: invitation))
            } catch {
                return .denied(error)
            }
        }
        let admission = Admission(verifier: verifier, ledger: ledger)
        switch presentation.subject {
        case .identity(let subject):
            return await redeem(admission, verified, at: now, AccessRequest(project: project, subject: subject), anonymousSubject: nil)
        case .anonymous(let anonymous) where verified.invitation.anonymous:
            return await redeem(admission, verified, at: now, AccessRequest(project: project), anonymousSubject: anonymous)
        case .reserved(let name):
            do {
                let invitation = try verifier.authorize(verified, at: now)
                return .denied(Self.reservedIdentity(name, invitation: invitation))
            } catch {
                return .denied(error)
            }
        case .anonymous, nil:
            break
        }
        // Nobody known is asking: only an unlimited anonymous invitation admits, and then without a ledger row.
        let invitation: Invitation
        do {
            invitation = try verifier.authorize(verified, at: now, for: AccessRequest(project: project, requiresIdentity: true))
        } catch {
            return .denied(error)
        }
        if let uid = invitation.userID {
            return .denied(Denial(.notForSubject, "invitation \(invitation.id) creates the account \(uid): sign in as \(uid)", invitation: invitation))
        }
        if invitation.anonymous {
            if let uses = invitation.uses {
                return .denied(Denial(.notForSubject, "invitation \(invitation.id) admits \(uses) \(uses == 1 ? "person" : "people"): join through its link first", invitation: invitation))
            }
            // A membership that ends needs a row to end from.
            if invitation.memberFor != nil {
                return .denied(Denial(.notForSubject, "invitation \(invitation.id) gives memberships that end: join through its link first", invitation: invitation))
            }
            return .granted(subject: Self.anonymousSubject, invitation: invitation)
        }
        return .denied(Denial(.notForSubject, "invitation \(invitation.id) is for signed-in people: sign in to use it", invitation: invitation))
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
        case .reserved(let name):
            do {
                let invitation = try snapshot.verifier.authorize(verified, at: now)
                return .failure(Self.reservedIdentity(name, invitation: invitation))
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

    /// The refusal when the identity header names a subject reserved for anonymous members: a login never becomes one.
    static func reservedIdentity(_ name: String, invitation: Invitation) -> Denial {
        Denial(.notForSubject, "the identity header names \(name), a name reserved for anonymous members", invitation: invitation)
    }

    /// The refusal while the signed list in force has expired: fail closed (503) until a fresh one arrives.
    static func expiredList(_ snapshot: VerifierStore.Snapshot) -> Denial {
        Denial(.revocationListExpired, "the revocation list in force expired at \(snapshot.revocationsExpireAt?.rfc3339 ?? "?"); nothing is granted until a fresh one is loaded")
    }

    /// Checks a token's signature, or finds it already checked under the keys in force.
    func verify(_ token: [UInt8], with snapshot: VerifierStore.Snapshot) throws(Denial) -> VerifiedToken {
        // Oversized input is refused by the verifier before any work; hashing it first would only cost time.
        guard cache.capacity > 0, token.count <= SignedToken.maximumLength else {
            return try snapshot.verifier.verifySignature(token)
        }
        let key = SignatureCache.key(for: token)
        let hit = cache.value(for: key, keyringGeneration: snapshot.keyringGeneration)
        metrics.recordSignatureCacheLookup(hit: hit != nil)
        if let hit { return hit }
        let verified = try snapshot.verifier.verifySignature(token)
        cache.insert(verified, for: key, keyringGeneration: snapshot.keyringGeneration)
        return verified
    }
}
