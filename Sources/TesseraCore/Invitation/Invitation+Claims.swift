extension Invitation {
    /// Why a token's claims do not describe an invitation.
    public enum ClaimError: Error, Equatable, Sendable, CustomStringConvertible {
        /// The payload is not valid JSON, or has duplicate keys (the detail says which).
        case invalidJSON(JSONError)
        /// The payload is JSON but not an object.
        case notAnObject
        /// A required claim is absent.
        case missing(String)
        /// A claim has the wrong JSON type or an invalid value.
        case invalid(String, String)

        public var description: String {
            switch self {
            case .invalidJSON(.duplicateKey(let key)): return "claims contain the key \"\(key)\" twice"
            case .invalidJSON(.invalidUTF8): return "claims are not valid UTF-8"
            case .invalidJSON(.tooDeep): return "claims are nested too deeply"
            case .invalidJSON: return "claims are not valid JSON"
            case .notAnObject: return "claims are not a JSON object"
            case .missing(let name): return "claim \"\(name)\" is missing"
            case .invalid(let name, let why): return "claim \"\(name)\" \(why)"
            }
        }
    }

    /// Parses and validates a token's claims JSON.
    public init(claimsJSON bytes: [UInt8]) throws(ClaimError) {
        let value: JSONValue
        do {
            value = try JSONParser(maxDepth: 16, maxBytes: SignedToken.maximumLength).parse(bytes)
        } catch {
            throw .invalidJSON(error)
        }
        try self.init(claims: value)
    }

    /// Reads an invitation from an already parsed claims object.
    public init(claims: JSONValue) throws(ClaimError) {
        guard let members = claims.objectMembers else { throw .notAnObject }
        var id: String?, project: String?, role: String?, issuer: String?, audience: String?
        var subject: String?, userID: String?, label: String?
        var issuedAt: Timestamp?, notBefore: Timestamp?, expiresAt: Timestamp?
        var uses: Int?
        var memberFor: Int64?
        var anonymous = false
        for (key, value) in members {
            switch key {
            case "jti":
                id = try Self.string(value, key)
                guard Name.isValidInvitationID(id!) else { throw .invalid(key, "is not 16 to 64 characters of A-Z a-z 0-9 _ -") }
            case "project":
                project = try Self.string(value, key)
                guard Name.isValidProjectOrRole(project!) else { throw .invalid(key, "must be 1-64 of A-Z a-z 0-9 . _ -") }
            case "role":
                role = try Self.string(value, key)
                guard Name.isValidProjectOrRole(role!) else { throw .invalid(key, "must be 1-64 of A-Z a-z 0-9 . _ -") }
            case "iat": issuedAt = try Self.time(value, key)
            case "nbf": notBefore = try Self.time(value, key)
            case "exp": expiresAt = try Self.time(value, key)
            case "iss": issuer = try Self.string(value, key)
            case "aud": audience = try Self.string(value, key)
            case "sub":
                subject = try Self.string(value, key)
                guard Name.isValidSubject(subject!) else { throw .invalid(key, "is not a valid subject") }
            case "mfor":
                guard let n = value.integerValue, n >= 1, n <= Self.maximumMemberFor else {
                    throw .invalid(key, "must be a whole number of seconds from 1 to \(Self.maximumMemberFor)")
                }
                memberFor = n
            case "uid":
                userID = try Self.string(value, key)
                guard Name.isValidSubject(userID!) else { throw .invalid(key, "is not a valid account id") }
            case "uses":
                guard let n = value.integerValue, n >= 1, n <= 1_000_000_000 else { throw .invalid(key, "must be an integer from 1 to 1000000000") }
                uses = Int(n)
            case "anon":
                guard let flag = value.boolValue else { throw .invalid(key, "must be true or false") }
                anonymous = flag
            case "label":
                label = try Self.string(value, key)
                guard Name.isValidLabel(label!) else { throw .invalid(key, "must be 1-\(Name.maximumLabelLength) bytes without control characters but tab") }
            default: continue
            }
        }
        guard let id else { throw .missing("jti") }
        guard let project else { throw .missing("project") }
        guard let role else { throw .missing("role") }
        guard let issuedAt else { throw .missing("iat") }
        if anonymous, subject != nil { throw .invalid("anon", "cannot be set on a targeted invitation") }
        if let userID, let subject, !Name.isSameSubject(subject, userID) { throw .invalid("uid", "differs from sub") }
        // `sub: "*@DOMAIN"` is an invitation for an email domain, not for one person.
        var domain: EmailDomain?
        if let target = subject, target.hasPrefix(EmailDomain.claimPrefix) {
            guard let parsed = EmailDomain(target.dropFirst(EmailDomain.claimPrefix.count)) else {
                throw .invalid("sub", "is not *@DOMAIN with a lowercase ASCII domain such as *@example.org or *@*.example.org")
            }
            guard userID == nil else { throw .invalid("uid", "cannot be set on an invitation for an email domain") }
            domain = parsed
            subject = nil
        }
        self.init(id: id, project: project, role: role, issuedAt: issuedAt, notBefore: notBefore, expiresAt: expiresAt,
                  issuer: issuer, audience: audience, subject: subject, userID: userID, uses: uses,
                  anonymous: anonymous, label: label, claims: claims)
        self.memberFor = memberFor
        self.domain = domain
    }

    /// The longest membership a token may grant: 100 years, in seconds.
    public static let maximumMemberFor: Int64 = 100 * 366 * 86_400

    /// The claims JSON of this invitation: as read, or for a new one its fields in a fixed order.
    public func claimsJSON() -> [UInt8] {
        if let parsedClaims { return parsedClaims.serialized() }
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(320)
        for (key, value) in Self.claimMembers(of: self) {
            if out.count > 1 { out.append(UInt8(ascii: ",")) }
            JSONValue.string(key).serialized(into: &out)
            out.append(UInt8(ascii: ":"))
            value.serialized(into: &out)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// Two invitations are equal when they grant the same thing with the same claims.
    public static func == (lhs: Invitation, rhs: Invitation) -> Bool {
        lhs.id == rhs.id && lhs.project == rhs.project && lhs.role == rhs.role && lhs.issuedAt == rhs.issuedAt
            && lhs.notBefore == rhs.notBefore && lhs.expiresAt == rhs.expiresAt && lhs.issuer == rhs.issuer
            && lhs.audience == rhs.audience && lhs.subject == rhs.subject && lhs.userID == rhs.userID
            && lhs.uses == rhs.uses && lhs.anonymous == rhs.anonymous && lhs.label == rhs.label
            && lhs.memberFor == rhs.memberFor && lhs.domain == rhs.domain && lhs.claims == rhs.claims
    }

    static func claimsObject(of invitation: Invitation) -> JSONValue {
        .object(claimMembers(of: invitation))
    }

    private static func claimMembers(of invitation: Invitation) -> [(key: String, value: JSONValue)] {
        var members: [(key: String, value: JSONValue)] = [
            ("jti", .string(invitation.id)),
            ("iat", .string(invitation.issuedAt.rfc3339)),
        ]
        if let nbf = invitation.notBefore { members.append(("nbf", .string(nbf.rfc3339))) }
        if let exp = invitation.expiresAt { members.append(("exp", .string(exp.rfc3339))) }
        if let iss = invitation.issuer { members.append(("iss", .string(iss))) }
        if let aud = invitation.audience { members.append(("aud", .string(aud))) }
        members.append(("project", .string(invitation.project)))
        members.append(("role", .string(invitation.role)))
        if let sub = invitation.subject {
            members.append(("sub", .string(sub)))
        } else if let domain = invitation.domain {
            members.append(("sub", .string(EmailDomain.claimPrefix + domain.description)))
        }
        if let uid = invitation.userID { members.append(("uid", .string(uid))) }
        if let uses = invitation.uses { members.append(("uses", .number(String(uses)))) }
        if invitation.anonymous { members.append(("anon", .bool(true))) }
        if let label = invitation.label { members.append(("label", .string(label))) }
        if let memberFor = invitation.memberFor { members.append(("mfor", .number(String(memberFor)))) }
        return members
    }

    private static func string(_ value: JSONValue, _ key: String) throws(ClaimError) -> String {
        guard let text = value.stringValue else { throw .invalid(key, "must be a string") }
        return text
    }

    private static func time(_ value: JSONValue, _ key: String) throws(ClaimError) -> Timestamp {
        guard let text = value.stringValue else { throw .invalid(key, "must be an RFC 3339 time string") }
        guard let time = Timestamp(rfc3339: text) else { throw .invalid(key, "is not an RFC 3339 time with uppercase T and an offset") }
        return time
    }
}
