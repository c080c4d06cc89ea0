import Synchronization

/// A ledger held in memory: for tests, and for verifiers that never redeem. Not durable.
public final class InMemoryLedger: Ledger, MembershipFeed {
    private let rows = Mutex<[Acceptance]>([])
    private let feed = Mutex<(events: [MembershipEvent], delivered: [String: Int64], lastID: Int64)>(([], [:], 0))

    public init() {}

    public func redeem(_ request: RedemptionRequest) async throws(LedgerError) -> Redemption {
        try rows.withLock { rows throws(LedgerError) in
            let id = request.acceptance.invitationID
            let existing = rows.filter { $0.invitationID == id }
            if let earlier = existing.first(where: { Name.isSameSubject($0.subject, request.acceptance.subject) }) {
                if request.isSignup { throw .alreadySignedUp(earlier) }
                return Redemption(acceptance: earlier, isNew: false, usesTaken: existing.count)
            }
            if let limit = request.maximumUses, existing.count >= limit { throw .usedUp(allowed: limit) }
            rows.append(request.acceptance)
            feed.withLock { feed in
                // Never reused, even once pruned: a sink's mark must keep meaning "seen".
                feed.lastID += 1
                feed.events.append(MembershipEvent(id: feed.lastID, acceptance: request.acceptance, createdAccount: request.isSignup))
            }
            return Redemption(acceptance: request.acceptance, isNew: true, usesTaken: existing.count + 1)
        }
    }

    public func acceptances(project: String?) async throws(LedgerError) -> [Acceptance] {
        // A stable sort: rows accepted in the same second keep the order they were added in.
        rows.withLock { rows in rows.filter { project == nil || $0.project == project } }
            .enumerated().sorted { ($0.element.acceptedAt, $0.offset) < ($1.element.acceptedAt, $1.offset) }.map(\.element)
    }

    public func acceptances(ofInvitation id: String) async throws(LedgerError) -> [Acceptance] {
        rows.withLock { rows in rows.filter { $0.invitationID == id } }
    }

    public func prune(expiredBefore cutoff: Timestamp, dryRun: Bool) async throws(LedgerError) -> [String] {
        rows.withLock { rows in
            let gone = rows.filter { ($0.expiresAt.map { $0 < cutoff }) ?? false }
            if !dryRun { rows.removeAll { ($0.expiresAt.map { $0 < cutoff }) ?? false } }
            return Array(Set(gone.map(\.invitationID))).sorted()
        }
    }

    public func events(after id: Int64, limit: Int) async throws(LedgerError) -> [MembershipEvent] {
        feed.withLock { Array($0.events.filter { $0.id > id }.prefix(limit)) }
    }

    public func latestEventID() async throws(LedgerError) -> Int64 {
        feed.withLock { $0.events.last?.id ?? 0 }
    }

    public func eventCount(after id: Int64) async throws(LedgerError) -> Int {
        feed.withLock { $0.events.count { $0.id > id } }
    }

    public func deliveredThrough(_ sink: String) async throws(LedgerError) -> Int64? {
        feed.withLock { $0.delivered[sink] }
    }

    public func markDelivered(_ sink: String, through id: Int64) async throws(LedgerError) {
        feed.withLock { $0.delivered[sink] = max($0.delivered[sink] ?? 0, id) }
    }

    public func pruneEvents(acceptedBefore cutoff: Timestamp, dryRun: Bool) async throws(LedgerError) -> EventPruning {
        let cutoffSeconds = cutoff.seconds
        return feed.withLock { feed in
            let through = feed.delivered.values.min() ?? .max
            let old = feed.events.filter { $0.acceptance.acceptedAt.seconds < cutoffSeconds }
            let removable = old.filter { $0.id <= through }
            if !dryRun { feed.events.removeAll { $0.acceptance.acceptedAt.seconds < cutoffSeconds && $0.id <= through } }
            let newestHeld = old.last?.id ?? 0
            let waiting = removable.count < old.count
                ? feed.delivered.filter { $0.value < newestHeld }.sorted { ($0.value, $0.key) < ($1.value, $1.key) }.map { EventPruning.Mark(sink: $0.key, deliveredThrough: $0.value) }
                : []
            return EventPruning(removed: removable.count, undelivered: old.count - removable.count, waitingFor: waiting)
        }
    }

    public func pruneEndedMemberships(before cutoff: Timestamp, dryRun: Bool) async throws(LedgerError) -> [Acceptance] {
        rows.withLock { rows in
            let ended = rows.filter { $0.memberUntil.map { $0 < cutoff } ?? false }
            if !dryRun { rows.removeAll { $0.memberUntil.map { $0 < cutoff } ?? false } }
            return ended
        }
    }
}
