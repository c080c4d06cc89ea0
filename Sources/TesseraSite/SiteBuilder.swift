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

    /// Rebuilds one invitation's folder; returns whether it is still valid, or nil if the folder holds nothing to rebuild from.
    public func rebuild(_ id: String, at now: Timestamp) throws(FileError) -> Bool? {
        let folder = publisher.site.invitationFolder(id)
        if let tokenBytes = try FileSystem.readIfPresent(FileSystem.join(folder, "token"), limit: SignedToken.maximumLength + 2) {
            var bytes = tokenBytes
            while let last = bytes.last, last == 0x0a || last == 0x0d { bytes.removeLast() }
            let verified: VerifiedToken
            do {
                verified = try verifier.verifySignature(bytes)
            } catch {
                // A token that no trusted key verifies: keep nothing of it public, but there are no claims to show.
                return nil
            }
            do {
                let invitation = try verifier.authorize(verified, at: now)
                try publisher.publish(invitation, token: String(decoding: bytes, as: UTF8.self))
                return true
            } catch let denial as Denial {
                try publisher.withdraw(verified.invitation, reason: Self.reason(denial, verified.invitation))
                return false
            } catch let error as FileError {
                throw error
            } catch {
                return nil
            }
        }
        if let claims = try FileSystem.readIfPresent(FileSystem.join(folder, "claims.json"), limit: SignedToken.maximumLength),
           let invitation = try? Invitation(claimsJSON: claims.last == 0x0a ? Array(claims.dropLast()) : claims) {
            let reason: String
            if let exp = invitation.expiresAt, exp < now {
                reason = "It expired on \(SiteRenderer.humanTime(exp))."
            } else {
                reason = "It was revoked."
            }
            try publisher.withdraw(invitation, reason: reason)
            return false
        }
        return nil
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
