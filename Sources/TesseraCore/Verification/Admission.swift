/// Turns a verified invitation into membership: the redeem rules of DESIGN §7 in one place, for every front end (check, gateway).
public struct Admission: Sendable {
    /// The signature, time, revocation and audience rules.
    public var verifier: Verifier
    /// Where acceptances are recorded.
    public var ledger: any Ledger

    public init(verifier: Verifier, ledger: any Ledger) {
        self.verifier = verifier
        self.ledger = ledger
    }

    /// A granted redemption.
    public struct Grant: Sendable, Equatable {
        public let invitation: Invitation
        /// The subject now holding the membership: the `uid`, the target, the signed-in subject, or a made-up anonymous id.
        public let subject: String
        /// Whether `subject` was made up here for an anonymous acceptance (callers hand it back, e.g. in a cookie).
        public let isNewAnonymousSubject: Bool
        /// Whether this redemption consumed a use (false when the subject had accepted before).
        public let isFirstUse: Bool
        /// Uses taken so far, this one included.
        public let usesTaken: Int
        /// When the subject accepted (the first time).
        public let acceptedAt: Timestamp
        /// When the membership ends; nil when it does not.
        public let memberUntil: Timestamp?
        /// Whether this redemption created a `uid` account (a signup, not the account signing in).
        public let createdAccount: Bool
    }

    /// The prefix of made-up anonymous subjects.
    public static let anonymousPrefix = "anon-"

    /// A new anonymous subject whose secret is thrown away (nobody can present it again): for redemptions without a browser, such as `check --redeem`.
    public static func newAnonymousSubject() -> String {
        AnonymousMember.subject(forSecret: AnonymousMember.newSecret())!
    }

    /// The checks `redeem` makes before it touches the ledger: time, revocation, audience, project, and who the subject is.
    ///
    /// A caller that opens its ledger only when needed runs this first, so that a refused
    /// invitation is reported as such even when the ledger is down.
    public static func precheck(_ token: VerifiedToken, at now: Timestamp, for request: AccessRequest, verifier: Verifier) throws(Denial) -> Invitation {
        var strict = request
        strict.requiresIdentity = true
        let invitation = try verifier.authorize(token, at: now, for: strict)
        let (subject, _, _) = try subject(of: invitation, for: request, anonymousSubject: nil, allowsSignup: verifier.allowsSignup)
        try checkRemoval(of: subject, from: invitation, verifier: verifier)
        return invitation
    }

    /// Who accepts `invitation` when `request` presents it: the rules of DESIGN §7 for uid, sub, a signed-in person and anon.
    static func subject(of invitation: Invitation, for request: AccessRequest, anonymousSubject: String?, allowsSignup: Bool) throws(Denial)
        -> (subject: String, isNewAnonymous: Bool, isSignup: Bool) {
        if let uid = invitation.userID {
            // authorize() already refused a presented subject other than the uid.
            if request.subject == nil, !allowsSignup {
                throw Denial(.notForSubject, "invitation \(invitation.id) would create the account \(uid), but self-signup is off on this server: sign in as \(uid) if that account exists", invitation: invitation)
            }
            return (uid, false, request.subject == nil)
        }
        if let target = invitation.subject { return (target, false, false) }
        if let domain = invitation.domain {
            guard let presented = request.subject else {
                throw Denial(.notForSubject, "invitation \(invitation.id) is for anyone with an address at \(domain.phrase): sign in to accept it", invitation: invitation)
            }
            guard domain.admits(presented) else {
                throw Denial(.notForSubject, "invitation \(invitation.id) is for addresses at \(domain.phrase), and \(presented) is not one", invitation: invitation)
            }
            return (presented, false, false)
        }
        if let presented = request.subject { return (presented, false, false) }
        if invitation.anonymous {
            if let anonymousSubject, anonymousSubject.hasPrefix(anonymousPrefix), Name.isValidSubject(anonymousSubject) {
                return (anonymousSubject, false, false)
            }
            return (newAnonymousSubject(), true, false)
        }
        throw Denial(.notForSubject, "invitation \(invitation.id) needs a signed-in person: sign in to accept it", invitation: invitation)
    }

    /// Redeems a verified token for `request.subject` (or an anonymous subject), recording it in the ledger.
    ///
    /// A revoked, expired or mis-targeted invitation is refused before the ledger is touched.
    /// `anonymousSubject` is an id the caller already gave this person (e.g. from a cookie).
    public func redeem(_ token: VerifiedToken, at now: Timestamp, for request: AccessRequest, anonymousSubject: String? = nil) async throws(Denial) -> Grant {
        var strict = request
        strict.requiresIdentity = true
        let invitation = try verifier.authorize(token, at: now, for: strict)
        let (subject, isNewAnonymous, isSignup) = try Self.subject(of: invitation, for: request, anonymousSubject: anonymousSubject,
                                                                   allowsSignup: verifier.allowsSignup)
        // A removed member is refused before the ledger: no use is taken, and no row written.
        try Self.checkRemoval(of: subject, from: invitation, verifier: verifier)

        let acceptance = Acceptance(invitationID: invitation.id, subject: subject, project: invitation.project, role: invitation.role,
                                    acceptedAt: Timestamp(seconds: now.seconds), expiresAt: invitation.expiresAt,
                                    memberUntil: invitation.memberUntil(acceptedAt: Timestamp(seconds: now.seconds)))
        let redemption: Redemption
        do {
            redemption = try await ledger.redeem(RedemptionRequest(acceptance: acceptance, maximumUses: invitation.effectiveUses, isSignup: isSignup))
        } catch {
            switch error {
            case .usedUp(let allowed):
                throw Denial(.usedUp, "invitation \(invitation.id) is used up: all \(allowed) use\(allowed == 1 ? " is" : "s are") taken", invitation: invitation)
            case .alreadySignedUp(let earlier):
                throw Denial(.usedUp, "invitation \(invitation.id) already created the account \(earlier.subject) on \(earlier.acceptedAt.rfc3339): sign in as \(earlier.subject) instead of signing up again", invitation: invitation)
            case .unavailable(let why), .schemaNotReady(let why):
                throw Denial(.ledgerUnavailable, "the ledger is unavailable (\(why)); nothing was granted", invitation: invitation)
            }
        }
        let earlier = redemption.acceptance
        // The row's own end, or for a row written before memberships could end, the token's span from its acceptance.
        let memberUntil = earlier.memberUntil ?? invitation.memberUntil(acceptedAt: earlier.acceptedAt)
        if let memberUntil, now >= memberUntil {
            throw Denial(.membershipEnded, "the membership of \(earlier.subject) through invitation \(invitation.id) ended at \(memberUntil.rfc3339)", invitation: invitation)
        }
        return Grant(invitation: invitation,
                     subject: earlier.subject, isNewAnonymousSubject: isNewAnonymous && redemption.isNew,
                     isFirstUse: redemption.isNew, usesTaken: redemption.usesTaken,
                     acceptedAt: earlier.acceptedAt, memberUntil: memberUntil, createdAccount: isSignup && redemption.isNew)
    }

    /// Refuses a subject that a `member:` entry of the revocation list removed from the invitation's project.
    static func checkRemoval(of subject: String, from invitation: Invitation, verifier: Verifier) throws(Denial) {
        if let entry = verifier.revocations.entry(removing: subject, from: invitation.project) {
            throw Denial(.memberRemoved, "\(subject) was removed from project \(invitation.project) by the entry \(entry)", invitation: invitation)
        }
    }
}
