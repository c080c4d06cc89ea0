/// What `tessera prune` removes for invitations that expired before a cutoff: link folders, revocation lines and ledger rows.
///
/// An expired invitation is refused on its `exp` alone, so once it is past the verifiers'
/// leeway nothing it left behind can change a decision. Only invitations whose expiry is
/// known are pruned: a token that does not verify is left alone, and a revocation line is
/// removed only for an id whose expiry the site's tokens or the ledger vouch for.
public struct PrunePlan: Sendable {
    /// Invitations that expired before this instant are pruned.
    public let cutoff: Timestamp
    /// The site's expired invitations, whose `out/i/<id>/` folders go.
    public let invitations: [Invitation]
    /// The `revoked.txt` lines that go, each exactly one expired invitation's id.
    public let revocationLines: [(line: Int, id: String)]
    /// The invitations whose ledger rows go.
    public let ledgerInvitations: [String]

    private let revokedIDs: Set<String>
    /// How often `revoked.txt` is read again when it changed between reading and replacing it.
    static let maximumAttempts = 20

    /// Plans the pruning; `ledgerExpired` is what the ledger's dry-run prune returned for the same cutoff.
    public init(cutoff: Timestamp, catalog: InvitationCatalog, revocations: RevocationFile?, ledgerExpired: [String]) {
        self.cutoff = cutoff
        invitations = catalog.items.compactMap(\.invitation).filter { ($0.expiresAt.map { $0 < cutoff }) ?? false }
        ledgerInvitations = ledgerExpired
        let ids = Set(invitations.map(\.id)).union(ledgerExpired)
        revocationLines = revocations?.removingInvitations(ids).removed ?? []
        revokedIDs = Set(revocationLines.map(\.id))
    }

    /// Whether there is nothing to remove.
    public var isEmpty: Bool { invitations.isEmpty && revocationLines.isEmpty && ledgerInvitations.isEmpty }

    /// Why applying a plan stopped.
    public enum Failure: Error, Sendable, Equatable {
        /// A file or folder could not be written or removed.
        case file(FileError)
        /// The ledger refused or failed.
        case ledger(LedgerError)
    }

    /// Removes what the plan lists: the revocation lines first, then ledger rows, then folders, so an interrupted run can simply be repeated.
    public func apply(to site: SiteFolder, ledger: (any Ledger)?) async throws(Failure) {
        if !revokedIDs.isEmpty {
            // Read again, and swap only if the file is still what was read: a line appended since
            // (by hand; `tessera revoke` waits for the site lock) must survive the rewrite.
            do throws(FileError) {
                let target = try site.revocationListTarget()
                var attempts = 0
                while true {
                    guard let bytes = try FileSystem.readIfPresent(target), let file = try? RevocationFile(parsing: bytes) else { break }
                    let (text, removed) = file.removingInvitations(revokedIDs)
                    if removed.isEmpty { break }
                    let mode = FileSystem.permissions(of: target) ?? 0o644
                    if try FileSystem.replaceIfUnchanged(target, expected: bytes, contents: text, mode: mode) { break }
                    attempts += 1
                    if attempts >= Self.maximumAttempts {
                        throw FileError(path: site.revocationList, code: 0, action: "cannot write",
                                        detail: "it changed \(attempts) times while being rewritten; run prune again when it is left alone")
                    }
                }
            } catch {
                throw .file(error)
            }
        }
        if let ledger, !ledgerInvitations.isEmpty {
            do {
                _ = try await ledger.prune(expiredBefore: cutoff, dryRun: false)
            } catch {
                throw .ledger(error)
            }
        }
        for invitation in invitations {
            do {
                try site.checkContained(site.invitationFolder(invitation.id))
                try site.checkContained(site.withdrawnToken(invitation.id))
                // The short link's page first: its code is read from the folder about to go.
                if let code = site.shortCode(of: invitation.id) {
                    try site.checkContained(site.shortLinkFolder(code))
                    try FileSystem.removeTree(site.shortLinkFolder(code))
                }
                try FileSystem.removeTree(site.invitationFolder(invitation.id))
                try FileSystem.remove(site.withdrawnToken(invitation.id))
            } catch {
                throw .file(error)
            }
        }
    }
}
