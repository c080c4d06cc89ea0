/// A root key's certificate for a project admin's key: which projects and roles it may invite
/// to, until when, and within which limits (DESIGN §11).
///
/// On the wire a delegation is itself a PASETO v4.public token, signed by a root key (footer
/// `{"kid":"k4.pid.<root>"}`), whose claims are:
///
/// | claim | type | meaning |
/// | --- | --- | --- |
/// | `typ` | string | exactly `tessera-delegation` |
/// | `name` | string | the delegation's name, `[A-Za-z0-9._-]{1,64}` (`alice-lab`) |
/// | `key` | string | the delegated public key, `k4.public.…` |
/// | `kid` | string | its `k4.pid`, which must match `key` |
/// | `projects` | array of strings | the projects it may invite to (1–64 names) |
/// | `roles` | array of strings | the roles it may grant (1–64 names) |
/// | `iat` | RFC 3339 | issued at |
/// | `exp` | RFC 3339 | expiry: required |
/// | `max_expiry` | integer | optional: the longest `exp − iat` of an invitation, in seconds |
/// | `max_uses` | integer | optional: the most uses of an invitation |
///
/// Unknown claims are refused, not ignored: a limit this verifier does not know must not be
/// dropped silently. An invitation minted with the delegated key carries the delegation in its
/// footer, `{"kid":"k4.pid.<delegated>","dlg":"v4.public.…"}`.
public struct Delegation: Sendable, Equatable {
    /// The value of `typ`, which keeps a delegation from being read as anything else.
    public static let type = "tessera-delegation"
    /// The longest delegation token, in bytes, checked before it is decoded.
    public static let maximumLength = 3072
    /// The most projects, and the most roles, one delegation names.
    public static let maximumNames = 64

    /// The delegation's name.
    public var name: String
    /// The delegated key.
    public var key: PublicKey
    /// The projects it may invite to.
    public var projects: [String]
    /// The roles it may grant.
    public var roles: [String]
    /// When the root key signed it.
    public var issuedAt: Timestamp
    /// When it stops covering anything.
    public var expiresAt: Timestamp
    /// The longest lifetime (`exp − iat`) of an invitation, in seconds; nil: no limit.
    public var maximumExpiry: Int64?
    /// The most uses of an invitation; nil: no limit.
    public var maximumUses: Int?

    public init(name: String, key: PublicKey, projects: [String], roles: [String], issuedAt: Timestamp, expiresAt: Timestamp,
                maximumExpiry: Int64? = nil, maximumUses: Int? = nil) {
        self.name = name
        self.key = key
        self.projects = projects
        self.roles = roles
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.maximumExpiry = maximumExpiry
        self.maximumUses = maximumUses
    }

    /// Why a delegation's claims are not a delegation.
    public enum ClaimError: Error, Equatable, Sendable, CustomStringConvertible {
        /// Not valid JSON, duplicate keys, or nested too deeply.
        case invalidJSON(JSONError)
        /// Not a JSON object.
        case notAnObject
        /// A required claim is absent.
        case missing(String)
        /// A claim has the wrong type or value.
        case invalid(String, String)
        /// A claim this verifier does not know.
        case unknown(String)

        public var description: String {
            switch self {
            case .invalidJSON(.duplicateKey(let key)): return "the delegation's claims contain the key \"\(key)\" twice"
            case .invalidJSON: return "the delegation's claims are not valid JSON"
            case .notAnObject: return "the delegation's claims are not a JSON object"
            case .missing(let name): return "the delegation's claim \"\(name)\" is missing"
            case .invalid(let name, let why): return "the delegation's claim \"\(name)\" \(why)"
            case .unknown(let name): return "the delegation holds the unknown claim \"\(name)\"; refusing a limit it cannot read"
            }
        }
    }

    /// Parses and validates a delegation's claims JSON.
    public init(claimsJSON bytes: [UInt8]) throws(ClaimError) {
        let value: JSONValue
        do {
            value = try JSONParser(maxDepth: 2, maxBytes: Self.maximumLength).parse(bytes)
        } catch {
            throw .invalidJSON(error)
        }
        guard let members = value.objectMembers else { throw .notAnObject }
        var type: String?, name: String?, key: PublicKey?, kid: String?, projects: [String]?, roles: [String]?
        var issuedAt: Timestamp?, expiresAt: Timestamp?, maximumExpiry: Int64?, maximumUses: Int?
        for (member, value) in members {
            switch member {
            case "typ": type = value.stringValue
            case "name":
                guard let text = value.stringValue, Name.isValidProjectOrRole(text) else { throw .invalid(member, "must be 1-64 of A-Z a-z 0-9 . _ -") }
                name = text
            case "key":
                guard let text = value.stringValue, let parsed = PublicKey(paserk: text) else { throw .invalid(member, "is not a k4.public key") }
                key = parsed
            case "kid":
                guard let text = value.stringValue, KeyID(text) != nil else { throw .invalid(member, "is not a k4.pid key id") }
                kid = text
            case "projects": projects = try Self.names(value, member)
            case "roles": roles = try Self.names(value, member)
            case "iat": issuedAt = try Self.time(value, member)
            case "exp": expiresAt = try Self.time(value, member)
            case "max_expiry":
                guard let n = value.integerValue, n >= 1, n <= 100 * 366 * 86_400 else { throw .invalid(member, "must be a number of seconds from 1 to 100 years") }
                maximumExpiry = n
            case "max_uses":
                guard let n = value.integerValue, n >= 1, n <= 1_000_000_000 else { throw .invalid(member, "must be an integer from 1 to 1000000000") }
                maximumUses = Int(n)
            default:
                throw .unknown(member)
            }
        }
        guard let type else { throw .missing("typ") }
        guard type == Self.type else { throw .invalid("typ", "must be \"\(Self.type)\"") }
        guard let name else { throw .missing("name") }
        guard let key else { throw .missing("key") }
        guard let kid else { throw .missing("kid") }
        guard kid == key.id.rawValue else { throw .invalid("kid", "is not the id of the delegated key") }
        guard let projects else { throw .missing("projects") }
        guard let roles else { throw .missing("roles") }
        guard let issuedAt else { throw .missing("iat") }
        guard let expiresAt else { throw .missing("exp") }
        guard issuedAt < expiresAt else { throw .invalid("exp", "is not after iat") }
        self.init(name: name, key: key, projects: projects, roles: roles, issuedAt: issuedAt, expiresAt: expiresAt,
                  maximumExpiry: maximumExpiry, maximumUses: maximumUses)
    }

    /// The claims JSON of this delegation, in a fixed order.
    public func claimsJSON() -> [UInt8] {
        var members: [(key: String, value: JSONValue)] = [
            ("typ", .string(Self.type)),
            ("name", .string(name)),
            ("key", .string(key.paserk)),
            ("kid", .string(key.id.rawValue)),
            ("projects", .array(projects.map(JSONValue.string))),
            ("roles", .array(roles.map(JSONValue.string))),
            ("iat", .string(issuedAt.rfc3339)),
            ("exp", .string(expiresAt.rfc3339)),
        ]
        if let maximumExpiry { members.append(("max_expiry", .number(String(maximumExpiry)))) }
        if let maximumUses { members.append(("max_uses", .number(String(maximumUses)))) }
        return JSONValue.object(members).serialized()
    }

    /// How an invitation exceeds a delegation.
    public enum Excess: Sendable, Equatable {
        /// Its project is not one the delegation names.
        case project(String)
        /// Its role is not one the delegation names.
        case role(String)
        /// It never expires, and the delegation limits the expiry.
        case noExpiry
        /// It lives longer (`exp − iat`, seconds) than the delegation allows.
        case expiry(Int64)
        /// It has unlimited uses, and the delegation limits them.
        case unlimitedUses
        /// It allows more uses than the delegation does.
        case uses(Int)
    }

    /// The first way `invitation` goes beyond this delegation, or nil if it stays within it.
    public func excess(of invitation: Invitation) -> Excess? {
        if !projects.contains(invitation.project) { return .project(invitation.project) }
        if !roles.contains(invitation.role) { return .role(invitation.role) }
        if let maximumExpiry {
            guard let exp = invitation.expiresAt else { return .noExpiry }
            let lifetime = exp.seconds - invitation.issuedAt.seconds + (exp.nanoseconds > invitation.issuedAt.nanoseconds ? 1 : 0)
            if lifetime > maximumExpiry { return .expiry(lifetime) }
        }
        if let maximumUses {
            guard let uses = invitation.effectiveUses else { return .unlimitedUses }
            if uses > maximumUses { return .uses(uses) }
        }
        return nil
    }

    /// One lowercase sentence: what `excess` asks for and what the delegation allows.
    public func explain(_ excess: Excess) -> String {
        switch excess {
        case .project(let project): return "project \(project) is outside delegation \(name), which allows \(Self.list(projects, "project"))"
        case .role(let role): return "role \(role) is outside delegation \(name), which allows \(Self.list(roles, "role"))"
        case .noExpiry: return "a never-expiring invitation is outside delegation \(name), which allows at most \(TimeSpan.describe(maximumExpiry ?? 0))"
        case .expiry(let seconds): return "an expiry of \(TimeSpan.describe(seconds)) is outside delegation \(name), which allows at most \(TimeSpan.describe(maximumExpiry ?? 0))"
        case .unlimitedUses: return "unlimited uses are outside delegation \(name), which allows at most \(maximumUses ?? 0) per invitation"
        case .uses(let uses): return "\(uses) uses are outside delegation \(name), which allows at most \(maximumUses ?? 0) per invitation"
        }
    }

    /// What the delegation allows, for listings: `projects lab; roles viewer, editor; expiry ≤ 30d; uses ≤ 10`.
    public var scopeDescription: String {
        var text = "\(Self.list(projects, "project")); \(Self.list(roles, "role"))"
        if let maximumExpiry { text += "; expiry ≤ \(TimeSpan.describe(maximumExpiry))" }
        if let maximumUses { text += "; uses ≤ \(maximumUses)" }
        return text
    }

    private static func list(_ names: [String], _ noun: String) -> String {
        (names.count == 1 ? noun + " " : noun + "s ") + names.joined(separator: ", ")
    }

    private static func names(_ value: JSONValue, _ member: String) throws(ClaimError) -> [String] {
        guard case .array(let items) = value, (1...maximumNames).contains(items.count) else {
            throw .invalid(member, "must be an array of 1-\(maximumNames) names")
        }
        var names: [String] = []
        for item in items {
            guard let text = item.stringValue, Name.isValidProjectOrRole(text) else { throw .invalid(member, "must hold names of 1-64 of A-Z a-z 0-9 . _ -") }
            guard !names.contains(text) else { throw .invalid(member, "names \(text) twice") }
            names.append(text)
        }
        return names
    }

    private static func time(_ value: JSONValue, _ member: String) throws(ClaimError) -> Timestamp {
        guard let text = value.stringValue, let time = Timestamp(rfc3339: text) else { throw .invalid(member, "is not an RFC 3339 time with uppercase T and an offset") }
        return time
    }
}

/// A delegation whose signature checked out against a trusted root key.
public struct VerifiedDelegation: Sendable, Equatable {
    /// What it certifies.
    public let delegation: Delegation
    /// The root key that signed it.
    public let signer: KeyID
}

extension TimeSpan {
    /// The shortest exact form of a number of seconds: `30d`, `36h`, `90m`, `45s`.
    public static func describe(_ seconds: Int64) -> String {
        if seconds > 0, seconds % 86_400 == 0 { return "\(seconds / 86_400)d" }
        if seconds > 0, seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds > 0, seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}
