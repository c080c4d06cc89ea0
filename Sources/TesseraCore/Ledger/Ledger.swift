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
    /// Removes (or with `dryRun`, only lists) the rows of memberships that ended before `cutoff`; returns them.
    func pruneEndedMemberships(before cutoff: Timestamp, dryRun: Bool) async throws(LedgerError) -> [Acceptance]
}

extension Ledger {
    /// A ledger that keeps no membership ends has none to prune.
    public func pruneEndedMemberships(before cutoff: Timestamp, dryRun: Bool) async throws(LedgerError) -> [Acceptance] {
        throw .unavailable("this ledger cannot prune ended memberships")
    }
}

/// The new-membership feed (issue 14): every row a redemption adds is also written, in the same
/// transaction, as an event with an id that grows as a follower sees it: once `events(after:)`
/// has returned an id, no event with a smaller one appears later. `members --follow` reads it,
/// and `serve --on-join` delivers it from there, remembering per destination how far it got.
public protocol MembershipFeed: Sendable {
    /// The events after `id`, oldest first, at most `limit`.
    func events(after id: Int64, limit: Int) async throws(LedgerError) -> [MembershipEvent]
    /// The id of the newest event a follower can read now (`events(after:)` returns nothing newer), 0 when there is none.
    func latestEventID() async throws(LedgerError) -> Int64
    /// How many committed events have ids above `id`: ids may have gaps, so this is not a difference of ids.
    func eventCount(after id: Int64) async throws(LedgerError) -> Int
    /// How far `sink` (a destination, e.g. the `--on-join` URL) has acknowledged events; nil for a sink never seen.
    func deliveredThrough(_ sink: String) async throws(LedgerError) -> Int64?
    /// Records that `sink` acknowledged every event up to `id` (never moves back).
    func markDelivered(_ sink: String, through id: Int64) async throws(LedgerError)
    /// Removes (or, with `dryRun`, counts) the events of joins before `cutoff` that every sink ever
    /// recorded has acknowledged; those older than `cutoff` that some sink still awaits stay.
    func pruneEvents(acceptedBefore cutoff: Timestamp, dryRun: Bool) async throws(LedgerError) -> EventPruning
}

/// What `pruneEvents` removed, and what it kept for a sink that has not acknowledged it yet.
public struct EventPruning: Sendable, Equatable {
    public var removed: Int
    public var undelivered: Int
    /// The sinks holding those back, with how far each has acknowledged: an address no longer in use stays
    /// here until its row is deleted.
    public var waitingFor: [Mark]

    /// How far one sink has acknowledged the feed.
    public struct Mark: Sendable, Equatable {
        public var sink: String
        public var deliveredThrough: Int64

        public init(sink: String, deliveredThrough: Int64) {
            self.sink = sink
            self.deliveredThrough = deliveredThrough
        }
    }

    /// How many events one transaction deletes: a first prune of a long-grown feed must not hold the
    /// ledger's write lock for the whole of it.
    public static let batch = 10_000

    public init(removed: Int, undelivered: Int, waitingFor: [Mark] = []) {
        self.removed = removed
        self.undelivered = undelivered
        self.waitingFor = waitingFor
    }
}

/// One new membership as the ledger recorded it.
public struct MembershipEvent: Sendable, Equatable {
    /// Grows as a follower reads the feed (not necessarily by one): the idempotency key of a delivery, and the cursor of a follower.
    public var id: Int64
    public var acceptance: Acceptance
    /// Whether the redemption created a `uid` account (a signup).
    public var createdAccount: Bool

    public init(id: Int64, acceptance: Acceptance, createdAccount: Bool) {
        self.id = id
        self.acceptance = acceptance
        self.createdAccount = createdAccount
    }

    /// The event as JSON: what `members --follow --json` prints and `--on-join` posts.
    public func json() -> JSONValue {
        .object([
            ("id", .string(String(id))),
            ("type", .string("member.joined")),
            ("invitation", .string(acceptance.invitationID)),
            ("subject", .string(acceptance.subject)),
            ("project", .string(acceptance.project)),
            ("role", .string(acceptance.role)),
            ("accepted", .string(acceptance.acceptedAt.rfc3339)),
            ("member_until", acceptance.memberUntil.map { .string($0.rfc3339) } ?? .null),
            ("created_account", .bool(createdAccount)),
        ])
    }
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
    /// When this membership ends (an invitation minted `--member-for`); nil when it does not.
    public var memberUntil: Timestamp?

    public init(invitationID: String, subject: String, project: String, role: String, acceptedAt: Timestamp, expiresAt: Timestamp?,
                memberUntil: Timestamp? = nil) {
        self.invitationID = invitationID
        self.subject = subject
        self.project = project
        self.role = role
        self.acceptedAt = acceptedAt
        self.expiresAt = expiresAt
        self.memberUntil = memberUntil
    }

    /// Whether the membership has ended at `now`.
    public func hasEnded(at now: Timestamp) -> Bool { memberUntil.map { now >= $0 } ?? false }
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
    /// The ledger has no schema yet, or an older one than this build writes: `tessera-verify ledger init` creates or migrates it.
    ///
    /// Only that explicit step changes a schema; a verifier that finds one missing or old fails closed with this.
    case schemaNotReady(String)

    /// What went wrong, for a message: nil for the refusals (`usedUp`, `alreadySignedUp`), which are answers rather than failures.
    public var failure: String? {
        switch self {
        case .unavailable(let why), .schemaNotReady(let why): return why
        case .usedUp, .alreadySignedUp: return nil
        }
    }
}

/// How a command opens a ledger: only `ledger init` creates or migrates a schema, and readers never write.
public enum LedgerAccess: Sendable, Equatable {
    /// `tessera-verify ledger init`: create the schema, or migrate an older one.
    case initialize
    /// Redeeming (`serve`, `check --redeem`): the schema must be current; an SQLite file that does not exist yet is created (see `LedgerLocation.open()`).
    case readWrite
    /// Listing (`members`, `ledger status`, `/healthz`): the schema must be current, and nothing is written, not even a lock.
    case readOnly
}
