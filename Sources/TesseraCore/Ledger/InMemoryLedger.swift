import Synchronization

/// A ledger held in memory: for tests, and for verifiers that never redeem. Not durable.
public final class InMemoryLedger: Ledger {
    private let rows = Mutex<[Acceptance]>([])

    public init() {}

    public func redeem(_ request: RedemptionRequest) async throws(LedgerError) -> Redemption {
        try rows.withLock { rows throws(LedgerError) in
            let id = request.acceptance.invitationID
            let existing = rows.filter { $0.invitationID == id }
            if let earlier = existing.first(where: { $0.subject == request.acceptance.subject }) {
                if request.isSignup { throw .alreadySignedUp(earlier) }
                return Redemption(acceptance: earlier, isNew: false, usesTaken: existing.count)
            }
            if let limit = request.maximumUses, existing.count >= limit { throw .usedUp(allowed: limit) }
            rows.append(request.acceptance)
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
}
