/// What an invitation grants, as carried in a token's claims.
///
/// Unknown claims are kept in `claims` and otherwise ignored, so tokens from a newer
/// Tessera still verify here.
public struct Invitation: Sendable, Equatable {
    /// The invitation id (`jti`): names the link page, revocation entries and ledger rows.
    public var id: String
    /// The project joined (`project`).
    public var project: String
    /// The permission granted (`role`).
    public var role: String
    /// When the invitation was made (`iat`).
    public var issuedAt: Timestamp
    /// Not valid before this instant (`nbf`), if set.
    public var notBefore: Timestamp?
    /// Not valid after this instant (`exp`); nil only for invitations minted with `--expires never`.
    public var expiresAt: Timestamp?
    /// Who issued it (`iss`), if set.
    public var issuer: String?
    /// The site or gateway it is for (`aud`), if set; also the token's implicit assertion.
    public var audience: String?
    /// The only subject who may accept it (`sub`), for a targeted invitation.
    public var subject: String?
    /// The account id a signup through it receives (`uid`).
    public var userID: String?
    /// The most distinct subjects that may accept it (`uses`); nil means unlimited.
    public var uses: Int?
    /// Whether it may be accepted without an identity (`anon`).
    public var anonymous: Bool
    /// Free text for the link page (`label`).
    public var label: String?
    /// How long each subject's membership lasts after they accepted, in seconds (`mfor`); nil: until removed.
    public var memberFor: Int64?
    /// For an email domain: the domain (`example.org`) or a wildcard for its subdomains (`*.example.org`).
    ///
    /// Carried as `sub: "*@DOMAIN"`, so that a verifier that predates domain invitations takes it for
    /// a targeted invitation nobody can sign in as, and refuses it, rather than admitting anyone.
    public var domain: EmailDomain?
    /// Every claim: as read from a token, including unknown ones, or built from the fields of a new invitation.
    public var claims: JSONValue { parsedClaims ?? Self.claimsObject(of: self) }
    /// The claims as read from a token; nil for an invitation made here (minting builds no tree it would only serialize).
    var parsedClaims: JSONValue?

    /// A new invitation with the given fields; `claims` is built from them.
    public init(id: String, project: String, role: String, issuedAt: Timestamp, notBefore: Timestamp? = nil,
                expiresAt: Timestamp?, issuer: String? = nil, audience: String? = nil, subject: String? = nil,
                userID: String? = nil, uses: Int? = nil, anonymous: Bool = false, label: String? = nil,
                memberFor: Int64? = nil, domain: EmailDomain? = nil) {
        self.init(id: id, project: project, role: role, issuedAt: issuedAt, notBefore: notBefore, expiresAt: expiresAt,
                  issuer: issuer, audience: audience, subject: subject, userID: userID, uses: uses, anonymous: anonymous,
                  label: label, claims: nil)
        self.memberFor = memberFor
        self.domain = domain
    }

    /// Every field, with the claims as read (nil: build them from the fields).
    init(id: String, project: String, role: String, issuedAt: Timestamp, notBefore: Timestamp?, expiresAt: Timestamp?,
         issuer: String?, audience: String?, subject: String?, userID: String?, uses: Int?, anonymous: Bool,
         label: String?, claims: JSONValue?) {
        self.id = id
        self.project = project
        self.role = role
        self.issuedAt = issuedAt
        self.notBefore = notBefore
        self.expiresAt = expiresAt
        self.issuer = issuer
        self.audience = audience
        self.subject = subject
        self.userID = userID
        self.uses = uses
        self.anonymous = anonymous
        self.label = label
        self.parsedClaims = claims
    }

    /// Whether only one named subject may accept it.
    public var isTargeted: Bool { subject != nil }

    /// The subject whose acceptance this invitation records when `subject` presents it: the `uid` for a signup, else `subject`.
    public func acceptingSubject(for presented: String?) -> String? { userID ?? presented }

    /// When the membership of someone who accepted at `acceptedAt` ends; nil when it does not.
    public func memberUntil(acceptedAt: Timestamp) -> Timestamp? {
        memberFor.map { acceptedAt.adding(seconds: $0) }
    }

    /// The largest number of distinct subjects that may accept: 1 for signups and targeted invitations.
    public var effectiveUses: Int? { (userID != nil || subject != nil) ? 1 : uses }
}
