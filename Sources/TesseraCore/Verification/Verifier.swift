/// A token whose signature checked out against a trusted key, with its invitation.
public struct VerifiedToken: Sendable, Equatable {
    /// The invitation the token carries.
    public let invitation: Invitation
    /// The key that signed it.
    public let keyID: KeyID
}

/// Who asks for access, and to what: the request side of a decision.
public struct AccessRequest: Sendable, Equatable {
    /// The project the caller protects, if it requires one.
    public var project: String?
    /// The signed-in subject presenting the token, if known.
    public var subject: String?
    /// Whether an identity is required for a targeted invitation (redeeming needs one; a validity check does not).
    public var requiresIdentity: Bool

    public init(project: String? = nil, subject: String? = nil, requiresIdentity: Bool = false) {
        self.project = project
        self.subject = subject
        self.requiresIdentity = requiresIdentity
    }
}

/// Decides whether a token grants access: signature, validity window, revocation list and audience, project and subject.
///
/// The ledger (uses) is checked separately, after this succeeds, so that a revoked or
/// expired invitation never reaches it.
public struct Verifier: Sendable {
    /// The trusted public keys.
    public var keyring: Keyring
    /// The revocation list in force.
    public var revocations: RevocationList
    /// When set, only invitations for this audience are accepted.
    public var audience: String?
    /// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
    public var leeway: Int64

    public init(keyring: Keyring, revocations: RevocationList = RevocationList(), audience: String? = nil, leeway: Int64 = 60) {
        self.keyring = keyring
        self.revocations = revocations
        self.audience = audience
        self.leeway = leeway
    }

    /// Checks a token given as any byte collection; see `verifySignature(_:)` for `[UInt8]`.
    public func verifySignature<C: Collection>(_ token: C) throws(Denial) -> VerifiedToken where C.Element == UInt8 {
        guard token.count <= SignedToken.maximumLength else { throw Denial(.malformed, Self.explain(.tooLong)) }
        return try verifySignature(Array(token))
    }

    /// Checks a token's format, footer and signature and reads its claims; independent of time and lists, so the result may be cached.
    public func verifySignature(_ token: [UInt8]) throws(Denial) -> VerifiedToken {
        let parsed: SignedToken
        do {
            parsed = try SignedToken(parsing: token)
        } catch {
            throw Denial(.malformed, Self.explain(error))
        }
        let keyID: KeyID
        do {
            keyID = try Footer.keyID(in: parsed.footer)
        } catch {
            throw Denial(.malformed, Self.explain(error))
        }
        guard let key = keyring[keyID] else {
            throw Denial(.unknownKey, "signed by \(keyID), which is not a trusted key")
        }
        // The audience is the implicit assertion: it is read from the unverified claims only to
        // rebuild the signed bytes; a changed `aud` therefore breaks the signature.
        let claims: JSONValue
        do {
            claims = try JSONParser(maxDepth: 16, maxBytes: SignedToken.maximumLength).parse(parsed.message)
        } catch {
            throw Denial(.malformed, Invitation.ClaimError.invalidJSON(error).description)
        }
        let implicit = claims["aud"]?.stringValue.map { Array($0.utf8) } ?? []
        guard parsed.isSigned(by: key, implicitAssertion: implicit) else {
            throw Denial(.badSignature, "the signature does not verify with key \(keyID)")
        }
        do {
            return VerifiedToken(invitation: try Invitation(claims: claims), keyID: keyID)
        } catch {
            throw Denial(.malformed, error.description)
        }
    }

    /// Applies time, revocation, audience, project and subject rules to a verified token.
    public func authorize(_ token: VerifiedToken, at now: Timestamp, for request: AccessRequest = AccessRequest()) throws(Denial) -> Invitation {
        let invitation = token.invitation
        if let exp = invitation.expiresAt, now > exp.adding(seconds: leeway) {
            throw Denial(.expired, "invitation \(invitation.id) expired at \(exp.rfc3339)", invitation: invitation)
        }
        if let nbf = invitation.notBefore, nbf > now.adding(seconds: leeway) {
            throw Denial(.notYetValid, "invitation \(invitation.id) is not valid before \(nbf.rfc3339)", invitation: invitation)
        }
        if invitation.issuedAt > now.adding(seconds: leeway) {
            throw Denial(.notYetValid, "invitation \(invitation.id) is issued in the future (\(invitation.issuedAt.rfc3339))", invitation: invitation)
        }
        if let entry = revocations.entry(revoking: invitation, signedBy: token.keyID) {
            throw Denial(.revoked, "invitation \(invitation.id) is revoked by the entry \(entry)", invitation: invitation)
        }
        if let audience, invitation.audience != audience {
            let actual = invitation.audience.map { "for \($0)" } ?? "for no audience"
            throw Denial(.notForAudience, "invitation \(invitation.id) is \(actual), not \(audience)", invitation: invitation)
        }
        if let project = request.project, project != invitation.project {
            throw Denial(.notForProject, "invitation \(invitation.id) is for project \(invitation.project), not \(project)", invitation: invitation)
        }
        if let target = invitation.subject {
            if let subject = request.subject, subject != target {
                throw Denial(.notForSubject, "invitation \(invitation.id) is for another person: sign in as \(target)", invitation: invitation)
            }
            if request.subject == nil, request.requiresIdentity {
                throw Denial(.notForSubject, "invitation \(invitation.id) is for a named person: sign in as \(target)", invitation: invitation)
            }
        }
        if let uid = invitation.userID, let subject = request.subject, subject != uid {
            throw Denial(.notForSubject, "invitation \(invitation.id) creates the account \(uid), not \(subject)", invitation: invitation)
        }
        return invitation
    }

    /// Verifies the signature and then authorizes: the whole decision short of the ledger.
    public func verify(_ token: [UInt8], at now: Timestamp, for request: AccessRequest = AccessRequest()) throws(Denial) -> Invitation {
        try authorize(try verifySignature(token), at: now, for: request)
    }

    /// The whole decision for a token given as any byte collection.
    public func verify<C: Collection>(_ token: C, at now: Timestamp, for request: AccessRequest = AccessRequest()) throws(Denial) -> Invitation where C.Element == UInt8 {
        try authorize(try verifySignature(token), at: now, for: request)
    }

    static func explain(_ error: SignedToken.FormatError) -> String {
        switch error {
        case .tooLong: return "the token is longer than \(SignedToken.maximumLength) bytes"
        case .wrongHeader: return "not a v4.public PASETO token"
        case .trailingPeriod: return "the token ends with a period and no footer"
        case .tooManyParts: return "the token has more parts than body and footer"
        case .bodyEncoding: return "the token body is not strict unpadded base64url"
        case .footerEncoding: return "the token footer is not strict unpadded base64url"
        case .bodyTooShort: return "the token body is too short to hold claims and a signature"
        case .footerTooLong: return "the footer is longer than \(SignedToken.maximumFooterLength) bytes"
        }
    }

    static func explain(_ error: Footer.Error) -> String {
        switch error {
        case .missing: return "the token has no footer naming its key"
        case .notFlatObject: return "the footer is not a flat JSON object"
        case .unexpectedMember(let name): return "the footer holds \"\(name)\"; only \"kid\" is allowed"
        case .invalidKeyID: return "the footer's kid is not a k4.pid key id"
        }
    }
}
