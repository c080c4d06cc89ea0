/// The invitations minted in a site: every `out/i/<id>/token`, verified with the site's keyring before anything in it is believed.
public struct InvitationCatalog: Sendable {
    /// One `out/i/<id>/` folder holding a token.
    public struct Item: Sendable, Equatable {
        /// The folder name, which is the invitation id for a valid token.
        public let id: String
        /// The verified token; nil when the file does not verify.
        public let token: VerifiedToken?
        /// Why the token is not trusted, when `token` is nil.
        public let problem: String?

        /// The invitation, when the token verified.
        public var invitation: Invitation? { token?.invitation }
    }

    /// The items, oldest issue time first; unverifiable ones last, by id.
    public let items: [Item]

    /// A catalog of `items`, sorted.
    public init(items: [Item]) {
        self.items = items.sorted { a, b in
            switch (a.invitation, b.invitation) {
            case let (x?, y?): return (x.issuedAt, x.id) < (y.issuedAt, y.id)
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return a.id < b.id
            }
        }
    }

    /// Reads every `out/i/<id>/token` of `site` (or, for a page `tessera build` withdrew, `withdrawn/<id>.token`); a missing `out/i/` is an empty catalog.
    public static func load(_ site: SiteFolder, keyring: Keyring) throws(FileError) -> InvitationCatalog {
        let folder = FileSystem.join(site.out, "i")
        guard FileSystem.isDirectory(folder) else { return InvitationCatalog(items: []) }
        // Only signatures are checked here: status needs no clock or list.
        let verifier = Verifier(keyring: keyring)
        var items: [Item] = []
        for name in try FileSystem.contents(ofDirectory: folder) where !name.hasPrefix(".") && FileSystem.isDirectory(site.invitationFolder(name)) {
            guard let path = site.tokenFile(name),
                  let bytes = try FileSystem.readIfPresent(path, limit: SignedToken.maximumLength + 2) else { continue }
            var token = bytes[...]
            while let last = token.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") { token = token.dropLast() }
            do {
                let verified = try verifier.verifySignature(token)
                if verified.invitation.id == name {
                    items.append(Item(id: name, token: verified, problem: nil))
                } else {
                    items.append(Item(id: name, token: nil, problem: "the token in \(path) is for invitation \(verified.invitation.id), not \(name)"))
                }
            } catch {
                items.append(Item(id: name, token: nil, problem: "\(path): \(error.detail)"))
            }
        }
        return InvitationCatalog(items: items)
    }

    /// The item for one invitation id.
    public subscript(id: String) -> Item? { items.first { $0.id == id } }

    /// Where an invitation stands: revoked, expired, accepted, pending, or invalid when its token does not verify.
    public enum Status: String, Sendable, CaseIterable {
        /// Valid and not yet accepted by anyone (or not yet valid).
        case pending
        /// Accepted by at least one subject, with uses possibly left.
        case accepted
        /// Past its `exp`.
        case expired
        /// Covered by an entry of the revocation list.
        case revoked
        /// The token file does not verify with the site's keys: nothing in it is trusted.
        case invalid
    }

    /// One line of `tessera list`: an item with its status and how many subjects accepted it.
    public struct Summary: Sendable, Equatable {
        /// The invitation's folder and token.
        public let item: Item
        /// Where it stands.
        public let status: Status
        /// Distinct subjects in the ledger for this invitation.
        public let accepted: Int
        /// The revocation entry covering it, if any.
        public let revokedBy: RevocationList.Entry?
    }

    /// Each item's status at `now`, in the order revoked, expired, accepted, pending.
    public func summaries(revocations: RevocationList, acceptances: [Acceptance], at now: Timestamp) -> [Summary] {
        var counts: [String: Int] = [:]
        for acceptance in acceptances { counts[acceptance.invitationID, default: 0] += 1 }
        return items.map { item in
            guard let token = item.token else { return Summary(item: item, status: .invalid, accepted: 0, revokedBy: nil) }
            let invitation = token.invitation
            let accepted = counts[invitation.id] ?? 0
            let entry = revocations.entry(revoking: token)
            let status: Status
            if entry != nil {
                status = .revoked
            } else if let exp = invitation.expiresAt, now > exp {
                status = .expired
            } else if accepted > 0 {
                status = .accepted
            } else {
                status = .pending
            }
            return Summary(item: item, status: status, accepted: accepted, revokedBy: entry)
        }
    }
}
