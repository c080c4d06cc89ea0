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
    }

    /// The prefix of made-up anonymous subjects.
    public static let anonymousPrefix = "anon-"

    /// A new anonymous subject id: `anon-` and 16 random bytes in base64url.
    public static func newAnonymousSubject() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        for _ in 0..<2 {
            let word = generator.next() as UInt64
            for j in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: word >> (8 * UInt64(j)))) }
        }
        return anonymousPrefix + Base64URL.encode(bytes)
    }

    /// The checks `redeem` makes before it touches the ledger: time, revocation, audience, project, and who the subject is.
    ///
    /// A caller that opens its ledger only when needed runs this first, so that a refused
    /// invitation is reported as such even when the ledger is down.
    public static func precheck(_ token: VerifiedToken, at now: Timestamp, for request: AccessRequest, verifier: Verifier) throws(Denial) -> Invitation {
        var strict = request
        strict.requiresIdentity = true
        let invitation = try verifier.authorize(token, at: now, for: strict)
        _ = try subject(of: invitation, for: request, anonymousSubject: nil)
        return invitation
    }

    /// Who accepts `invitation` when `request` presents it: the rules of DESIGN §7 for uid, sub, a signed-in person and anon.
    private static func subject(of invitation: Invitation, for request: AccessRequest, anonymousSubject: String?) throws(Denial)
        -> (subject: String, isNewAnonymous: Bool, isSignup: Bool) {
        if let uid = invitation.userID {
            // authorize() already refused a presented subject other than the uid.
            return (uid, false, request.subject == nil)
        }
        if let target = invitation.subject { return (target, false, false) }
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
        let (subject, isNewAnonymous, isSignup) = try Self.subject(of: invitation, for: request, anonymousSubject: anonymousSubject)

        let acceptance = Acceptance(invitationID: invitation.id, subject: subject, project: invitation.project, role: invitation.role,
                                    acceptedAt: Timestamp(seconds: now.seconds), expiresAt: invitation.expiresAt)
        let redemption: Redemption
        do {
            redemption = try await ledger.redeem(RedemptionRequest(acceptance: acceptance, maximumUses: invitation.effectiveUses, isSignup: isSignup))
        } catch {
            switch error {
            case .usedUp(let allowed):
                throw Denial(.usedUp, "invitation \(invitation.id) is used up: all \(allowed) use\(allowed == 1 ? " is" : "s are") taken", invitation: invitation)
            case .alreadySignedUp(let earlier):
                throw Denial(.usedUp, "invitation \(invitation.id) already created the account \(earlier.subject) on \(earlier.acceptedAt.rfc3339): sign in as \(earlier.subject) instead of signing up again", invitation: invitation)
            case .unavailable(let why):
                throw Denial(.ledgerUnavailable, "the ledger is unavailable (\(why)); nothing was granted", invitation: invitation)
            }
        }
        return Grant(invitation: invitation,
                     subject: redemption.acceptance.subject, isNewAnonymousSubject: isNewAnonymous && redemption.isNew,
                     isFirstUse: redemption.isNew, usesTaken: redemption.usesTaken)
    }
}
