/// The verifier's only state: who accepted which invitation (DESIGN §7).
///
/// A backend must make `redeem` atomic across processes and hosts (concurrent redemptions
/// of one invitation never exceed its uses) and durable (it returns only after the row is
/// committed). Rows of expired invitations may be pruned.
public protocol Ledger: Sendable {
    /// Records that a subject accepted an invitation, or finds the earlier acceptance; throws when no use is left.
    func redeem(_ request: RedemptionRequest) async throws(LedgerError) -> Redemption
    /// Every acceptance, optionally of one project, oldest first.
    func acceptances(project: String?) async throws(LedgerError) -> [Acceptance]
    /// The acceptances of one invitation, oldest first.
    func acceptances(ofInvitation id: String) async throws(LedgerError) -> [Acceptance]
    /// Removes (or with `dryRun`, only lists) the rows of invitations that expired before `cutoff`; returns their invitation ids.
    func prune(expiredBefore cutoff: Timestamp, dryRun: Bool) async throws(LedgerError) -> [String]
}

/// One row of the ledger: a subject accepted an invitation.
public struct Acceptance: Sendable, Equatable {
    public var invitationID: String
    public var subject: String
    public var project: String
    public var role: String
    public var acceptedAt: Timestamp
    /// The invitation's expiry, kept so rows can be pruned without the token.
    public var expiresAt: Timestamp?

    public init(invitationID: String, subject: String, project: String, role: String, acceptedAt: Timestamp, expiresAt: Timestamp?) {
        self.invitationID = invitationID
        self.subject = subject
        self.project = project
        self.role = role
        self.acceptedAt = acceptedAt
        self.expiresAt = expiresAt
    }
}

/// What to record: the acceptance and the limits that apply to it.
public struct RedemptionRequest: Sendable, Equatable {
    public var acceptance: Acceptance
    /// At most this many distinct subjects; nil for unlimited.
    public var maximumUses: Int?
    /// A signup through a `uid` invitation: refused if the account was already created through it.
    public var isSignup: Bool

    public init(acceptance: Acceptance, maximumUses: Int?, isSignup: Bool = false) {
        self.acceptance = acceptance
        self.maximumUses = maximumUses
        self.isSignup = isSignup
    }
}

/// The result of a successful redemption.
public struct Redemption: Sendable, Equatable {
    /// The row now in the ledger (the earlier one when the subject had already accepted).
    public var acceptance: Acceptance
    /// Whether this call added the row (false: the same subject again, no use consumed).
    public var isNew: Bool
    /// How many distinct subjects have accepted the invitation, this one included.
    public var usesTaken: Int

    public init(acceptance: Acceptance, isNew: Bool, usesTaken: Int) {
        self.acceptance = acceptance
        self.isNew = isNew
        self.usesTaken = usesTaken
    }
}

/// Why a ledger refused or failed.
public enum LedgerError: Error, Sendable, Equatable {
    /// Every use is taken by other subjects.
    case usedUp(allowed: Int)
    /// A signup invitation already created its account.
    case alreadySignedUp(Acceptance)
    /// The ledger cannot be opened, read or written: callers fail closed.
    case unavailable(String)
}
