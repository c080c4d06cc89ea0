/// A token whose signature checked out against a trusted key, with its invitation.
public struct VerifiedToken: Sendable, Equatable {
    /// The invitation the token carries.
    public let invitation: Invitation
    /// The key that signed it.
    public let keyID: KeyID
    /// The delegation that certified that key, when it is a delegated key rather than a trusted root.
    public let delegation: VerifiedDelegation?

    public init(invitation: Invitation, keyID: KeyID, delegation: VerifiedDelegation? = nil) {
        self.invitation = invitation
        self.keyID = keyID
        self.delegation = delegation
    }
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
    /// Whether a `uid` invitation may create its account (self-signup); when false, only the signed-in `uid` itself may accept it.
    public var allowsSignup = true
    /// Delegations already verified, shared by copies of this verifier; nil checks every delegation's signature again.
    public var delegationCache: DelegationCache?

    public init(keyring: Keyring, revocations: RevocationList = RevocationList(), audience: String? = nil, leeway: Int64 = 60,
                delegationCache: DelegationCache? = DelegationCache()) {
        self.keyring = keyring
        self.revocations = revocations
        self.audience = audience
        self.leeway = leeway
        self.delegationCache = delegationCache
    }

    /// Checks a token given as any byte collection; see `verifySignature(_:)` for `[UInt8]`.
    public func verifySignature<C: Collection>(_ token: C) throws(Denial) -> VerifiedToken where C.Element == UInt8 {
        guard token.count <= SignedToken.maximumLength else { throw Denial(.malformed, Self.explain(SignedToken.FormatError.tooLong)) }
        return try verifySignature(Array(token))
    }

    /// Checks a token's format, footer and signature and reads its claims; independent of time and lists, so the result may be cached.
    ///
    /// A token whose `kid` names a trusted key is checked with that key. One whose `kid` is
    /// unknown but whose footer carries a delegation (DESIGN §11) is checked in this order:
    /// the delegation's format, its root key (a trusted one, named by the delegation's own
    /// footer), its root signature, its claims; then that it certifies the token's `kid`, the
    /// token's signature with the delegated key, and the invitation's project, role, expiry
    /// and uses against the delegation's scope. The delegation's expiry and the revocation of
    /// either key are time- and list-dependent, so `authorize` checks them on every use.
    public func verifySignature(_ token: [UInt8]) throws(Denial) -> VerifiedToken {
        let parsed: SignedToken
        do {
            parsed = try SignedToken(parsing: token, maximumFooterLength: Footer.maximumDelegatedLength)
        } catch {
            throw Denial(.malformed, Self.explain(error))
        }
        let footer: Footer.Contents
        do {
            footer = try Footer.parse(parsed.footer)
        } catch {
            throw Denial(.malformed, Self.explain(error))
        }
        let keyID = footer.keyID
        let key: PublicKey
        var delegation: VerifiedDelegation?
        if let trusted = keyring[keyID] {
            // A root signed it: a delegation beside its kid grants nothing, but must still be well-formed.
            if let text = footer.delegation { _ = try Self.readDelegation(Array(text.utf8)) }
            key = trusted
        } else if let text = footer.delegation {
            let verified = try verifyDelegation(Array(text.utf8))
            guard verified.delegation.key.id == keyID else {
                throw Denial(.unknownKey, "signed by \(keyID), but its delegation \(verified.delegation.name) certifies \(verified.delegation.key.id)")
            }
            key = verified.delegation.key
            delegation = verified
        } else {
            throw Denial(.unknownKey, "signed by \(keyID), which is not a trusted key")
        }
        // The implicit assertion is empty (DESIGN §3): `aud` is an ordinary signed claim, checked in `authorize`.
        // Claims are parsed only after the signature holds, so unsigned bytes never reach the parser's results.
        guard parsed.isSigned(by: key, implicitAssertion: []) else {
            throw Denial(.badSignature, "the signature does not verify with key \(keyID)")
        }
        let claims: JSONValue
        do {
            claims = try JSONParser(maxDepth: 16, maxBytes: SignedToken.maximumLength).parse(parsed.message)
        } catch {
            throw Denial(.malformed, Invitation.ClaimError.invalidJSON(error).description)
        }
        let invitation: Invitation
        do {
            invitation = try Invitation(claims: claims)
        } catch {
            throw Denial(.malformed, error.description)
        }
        if let delegation, let excess = delegation.delegation.excess(of: invitation) {
            throw Denial(.outsideDelegation, "invitation \(invitation.id): " + delegation.delegation.explain(excess), invitation: invitation)
        }
        return VerifiedToken(invitation: invitation, keyID: keyID, delegation: delegation)
    }

    /// Checks a delegation token against the trusted root keys, or finds it already checked under the same root key.
    public func verifyDelegation(_ token: [UInt8]) throws(Denial) -> VerifiedDelegation {
        guard token.count <= Delegation.maximumLength else {
            throw Denial(.malformed, "the delegation is longer than \(Delegation.maximumLength) bytes")
        }
        let cacheKey = delegationCache.map { _ in DelegationCache.key(for: token) }
        if let delegationCache, let cacheKey, let hit = delegationCache.value(for: cacheKey, keyring: keyring) { return hit }
        let (parsed, rootID, delegation) = try Self.readDelegation(token)
        guard let root = keyring[rootID] else {
            throw Denial(.unknownKey, "the delegation \(delegation.name) is signed by \(rootID), which is not a trusted root key")
        }
        guard parsed.isSigned(by: root) else {
            throw Denial(.badSignature, "the signature of delegation \(delegation.name) does not verify with root key \(rootID)")
        }
        let verified = VerifiedDelegation(delegation: delegation, signer: rootID)
        if let delegationCache, let cacheKey { delegationCache.insert(verified, signer: root, for: cacheKey) }
        return verified
    }

    /// A delegation's claims and the root key id its footer names, read with every format rule but
    /// its signature NOT checked: for showing a delegation file, never for trusting it.
    public static func unverifiedDelegation(_ token: String) throws(Denial) -> (delegation: Delegation, signer: KeyID) {
        let bytes = Array(token.utf8)
        guard bytes.count <= Delegation.maximumLength else {
            throw Denial(.malformed, "the delegation is longer than \(Delegation.maximumLength) bytes")
        }
        let (_, signer, delegation) = try readDelegation(bytes)
        return (delegation, signer)
    }

    /// A delegation token taken apart with the token's strictness rules, its signature not yet checked.
    static func readDelegation(_ token: [UInt8]) throws(Denial) -> (SignedToken, KeyID, Delegation) {
        let parsed: SignedToken
        do {
            parsed = try SignedToken(parsing: token, maximumLength: Delegation.maximumLength)
        } catch {
            throw Denial(.malformed, "the delegation: " + Self.explain(error))
        }
        let rootID: KeyID
        do {
            rootID = try Footer.keyID(in: parsed.footer)
        } catch .unexpectedMember("dlg") {
            throw Denial(.malformed, "the delegation carries a delegation of its own: a delegated key cannot delegate further")
        } catch {
            throw Denial(.malformed, "the delegation: " + Self.explain(error))
        }
        do {
            return (parsed, rootID, try Delegation(claimsJSON: parsed.message))
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
        if let delegation = token.delegation?.delegation {
            if now > delegation.expiresAt.adding(seconds: leeway) {
                throw Denial(.expired, "invitation \(invitation.id) was signed under delegation \(delegation.name), which expired at \(delegation.expiresAt.rfc3339)", invitation: invitation)
            }
            if delegation.issuedAt > now.adding(seconds: leeway) {
                throw Denial(.notYetValid, "invitation \(invitation.id) was signed under delegation \(delegation.name), issued in the future (\(delegation.issuedAt.rfc3339))", invitation: invitation)
            }
        }
        if let entry = revocations.entry(revoking: token) {
            throw Denial(.revoked, "invitation \(invitation.id) is revoked by the entry \(entry)", invitation: invitation)
        }
        if invitation.audience != audience {
            // Both directions: a verifier for one audience refuses others', and one configured for
            // none refuses a token minted for some audience (it was meant for another verifier).
            let actual = invitation.audience.map { "for the audience \($0)" } ?? "for no audience"
            let expected = audience.map { "not \($0)" } ?? "and this verifier has no audience set (--audience or audience in tessera.toml)"
            throw Denial(.notForAudience, "invitation \(invitation.id) is \(actual), \(expected)", invitation: invitation)
        }
        if let project = request.project, project != invitation.project {
            throw Denial(.notForProject, "invitation \(invitation.id) is for project \(invitation.project), not \(project)", invitation: invitation)
        }
        if let target = invitation.subject {
            if let subject = request.subject, !Name.isSameSubject(subject, target) {
                throw Denial(.notForSubject, "invitation \(invitation.id) is for another person: sign in as \(target)", invitation: invitation)
            }
            if request.subject == nil, request.requiresIdentity {
                throw Denial(.notForSubject, "invitation \(invitation.id) is for a named person: sign in as \(target)", invitation: invitation)
            }
        }
        if let uid = invitation.userID, let subject = request.subject, !Name.isSameSubject(subject, uid) {
            throw Denial(.notForSubject, "invitation \(invitation.id) creates the account \(uid), not \(subject)", invitation: invitation)
        }
        // A `member:` entry removes the subject whatever asks: a plain `check --subject` too, not only a redemption.
        if let subject = request.subject { try Admission.checkRemoval(of: subject, from: invitation, verifier: self) }
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
        case .unexpectedMember(let name): return "the footer holds \"\(name)\"; only \"kid\" (and \"dlg\" on an invitation) is allowed"
        case .invalidKeyID: return "the footer's kid is not a k4.pid key id"
        case .invalidDelegation: return "the footer's dlg is not a string holding a delegation"
        case .tooLong: return "the footer is longer than \(SignedToken.maximumFooterLength) bytes (\(Footer.maximumDelegatedLength) with a delegation)"
        }
    }
}
