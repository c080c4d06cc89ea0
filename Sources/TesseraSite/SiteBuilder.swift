import TesseraCore

/// `tessera build`: re-renders every invitation folder from its token, withdraws pages of invitations that expired or were revoked, and writes the well-known files.
public struct SiteBuilder: Sendable {
    public let publisher: SitePublisher
    public let verifier: Verifier

    public init(publisher: SitePublisher, verifier: Verifier) {
        self.publisher = publisher
        self.verifier = verifier
    }

    /// What a build did.
    public struct Summary: Sendable, Equatable {
        public var valid = 0
        public var withdrawn = 0
        public var skipped: [String] = []
    }

    /// The invitation ids that have a folder in `out/i/`.
    public func invitationIDs() throws(FileError) -> [String] {
        let folder = FileSystem.join(publisher.site.out, "i")
        guard FileSystem.isDirectory(folder) else { return [] }
        return try FileSystem.contents(ofDirectory: folder).filter { Name.isValidInvitationID($0) && FileSystem.isDirectory(FileSystem.join(folder, $0)) }
    }

    /// Removes what an interrupted run left in `out/`: temporary files (`.NAME.tmp-…`) and unfinished
    /// new folders (`out/i/.new-ID`). Such a run never replaced a published file with a part of
    /// one, but its leftovers would otherwise be published beside the real files. Returns how many.
    @discardableResult
    public func sweepLeftovers() throws(FileError) -> Int {
        let site = publisher.site
        let pages = FileSystem.join(site.out, "i")
        var folders = [site.out, pages, FileSystem.join(site.out, ".well-known/tessera")]
        folders += try invitationIDs().map { FileSystem.join(pages, $0) }
        var removed = 0
        for folder in folders where FileSystem.isDirectory(folder) {
            try site.checkContained(folder)
            for name in try FileSystem.contents(ofDirectory: folder) where name.hasPrefix(".") {
                let path = FileSystem.join(folder, name)
                if name.contains(".tmp-") {
                    try FileSystem.remove(path)
                    removed += 1
                } else if folder == pages, name.hasPrefix(".new-") {
                    try FileSystem.removeTree(path)
                    removed += 1
                }
            }
        }
        return removed
    }

    /// Rebuilds one invitation's folder; returns whether it is still valid, or nil if there is no token a trusted key verifies.
    public func rebuild(_ id: String, at now: Timestamp) throws(FileError) -> Bool? {
        guard let path = publisher.site.tokenFile(id),
              var bytes = try FileSystem.readIfPresent(path, limit: SignedToken.maximumLength + 2) else { return nil }
        while let last = bytes.last, last == 0x0a || last == 0x0d { bytes.removeLast() }
        guard let verified = try? verifier.verifySignature(bytes), verified.invitation.id == id else { return nil }
        do {
            let invitation = try verifier.authorize(verified, at: now)
            try publisher.publish(invitation, token: String(decoding: bytes, as: UTF8.self))
            try FileSystem.remove(publisher.site.withdrawnToken(id))
            return true
        } catch let denial as Denial {
            try publisher.withdraw(verified.invitation, token: bytes, reason: Self.reason(denial, verified.invitation))
            return false
        } catch let error as FileError {
            throw error
        } catch {
            return nil
        }
    }

    static func reason(_ denial: Denial, _ invitation: Invitation) -> String {
        switch denial.reason {
        case .expired:
            return "It expired on \(invitation.expiresAt.map(SiteRenderer.humanTime) ?? "an earlier date")."
        case .revoked:
            return "It was revoked."
        default:
            return "It can no longer be used."
        }
    }
}
