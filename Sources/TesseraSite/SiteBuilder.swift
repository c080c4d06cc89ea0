import TesseraCore

/// `tessera build`: re-renders every invitation folder from its token, withdraws pages of invitations that expired or were revoked, and writes the well-known files.
public struct SiteBuilder: Sendable {
    public let publisher: SitePublisher
    public let verifier: Verifier
    /// Whether every valid invitation gets a slide (`slides = true`); without it, only folders that have one already keep it up to date.
    public var slides: Bool

    public init(publisher: SitePublisher, verifier: Verifier, slides: Bool = false) {
        self.publisher = publisher
        self.verifier = verifier
        self.slides = slides
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
        return try FileSystem.contents(ofDirectory: folder).filter { Name.isMintedInvitationID($0) && FileSystem.isDirectory(FileSystem.join(folder, $0)) }
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
        let shortPages = FileSystem.join(site.out, "s")
        if FileSystem.isDirectory(shortPages) {
            folders.append(shortPages)
            folders += try FileSystem.contents(ofDirectory: shortPages).filter { ShortCode.isValid($0) }.map { FileSystem.join(shortPages, $0) }
        }
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

    /// Removes the short link pages (`out/s/<code>/`) that none of the invitation folders `ids` (from
    /// `invitationIDs()`) names any more (one deleted by hand, say): each would send its readers to a missing
    /// page. Returns how many.
    @discardableResult
    public func sweepOrphanedShortPages(keeping ids: [String]) throws(FileError) -> Int {
        let site = publisher.site
        let shortPages = FileSystem.join(site.out, "s")
        guard FileSystem.isDirectory(shortPages) else { return 0 }
        let named = Set(ids.compactMap { site.shortCode(of: $0) })
        var removed = 0
        for code in try FileSystem.contents(ofDirectory: shortPages) where ShortCode.isValid(code) && !named.contains(code) {
            let folder = site.shortLinkFolder(code)
            guard FileSystem.isDirectory(folder) else { continue }
            try site.checkContained(folder)
            try FileSystem.removeTree(folder)
            removed += 1
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
            let folder = publisher.site.invitationFolder(id)
            let slide = slides || FileSystem.exists(FileSystem.join(folder, "slide.png"))
            try publisher.publish(invitation, token: String(decoding: bytes, as: UTF8.self), slide: slide, shortCode: publisher.site.shortCode(of: id))
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
