import TesseraCore

/// What the person minting asked for: the options of `tessera mint`, checked before anything is signed.
public struct InvitationTerms: Sendable, Equatable {
    /// When an invitation stops being valid.
    public enum Expiry: Sendable, Equatable {
        /// A span after the moment of minting (`14d`, `36h`).
        case after(seconds: Int64)
        /// A fixed instant.
        case at(Timestamp)
        /// Never: the invitation has no `exp`.
        case never

        /// The default: 14 days.
        public static let standard = Expiry.after(seconds: 14 * 86_400)

        /// Parses `14d`, `36h`, `90m`, an RFC 3339 time, or `never`.
        public init?(_ text: String) {
            if text == "never" {
                self = .never
            } else if let seconds = TimeSpan.seconds(in: text), seconds > 0 {
                self = .after(seconds: seconds)
            } else if let time = Timestamp(rfc3339: text) {
                self = .at(time)
            } else {
                return nil
            }
        }
    }

    public var project: String
    public var role: String
    public var subject: String?
    public var userID: String?
    public var uses: Int?
    public var expiry: Expiry
    public var notBefore: Timestamp?
    public var anonymous: Bool
    public var label: String?
    public var audience: String?
    public var issuer: String?
    /// `--member-for`: how long each membership lasts after it is accepted, in seconds.
    public var memberFor: Int64?

    public init(project: String, role: String, subject: String? = nil, userID: String? = nil, uses: Int? = nil,
                expiry: Expiry = .standard, notBefore: Timestamp? = nil, anonymous: Bool = false,
                label: String? = nil, audience: String? = nil, issuer: String? = nil, memberFor: Int64? = nil) {
        self.memberFor = memberFor
        self.project = project
        self.role = role
        self.subject = subject
        self.userID = userID
        self.uses = uses
        self.expiry = expiry
        self.notBefore = notBefore
        self.anonymous = anonymous
        self.label = label
        self.audience = audience
        self.issuer = issuer
    }

    /// A problem with the terms, naming the flag to change.
    public struct Problem: Error, Equatable, Sendable {
        /// The option concerned, e.g. `--project`.
        public let option: String
        /// What is wrong, lowercase.
        public let message: String
        /// How to fix it, when known.
        public let hint: String?
    }

    /// Checks every rule at `now`; the first problem found is thrown.
    public func validate(at now: Timestamp) throws(Problem) {
        guard Name.isValidProjectOrRole(project) else {
            throw Problem(option: "--project", message: "\"\(project)\" is not a valid project name", hint: "use 1-64 of A-Z a-z 0-9 . _ -")
        }
        guard Name.isValidProjectOrRole(role) else {
            throw Problem(option: "--role", message: "\"\(role)\" is not a valid role name", hint: "use 1-64 of A-Z a-z 0-9 . _ -")
        }
        if let subject, !Name.isValidSubject(subject) {
            throw Problem(option: "--for", message: "the subject must be 1-256 bytes without control characters", hint: nil)
        }
        if let subject, subject.hasPrefix(EmailDomain.claimPrefix) {
            guard EmailDomain(subject.dropFirst(EmailDomain.claimPrefix.count)) != nil else {
                throw Problem(option: "--for", message: "\"\(subject)\" is not an email domain of ASCII letters, digits and - in dotted labels",
                              hint: "for example '*@example.org', or '*@*.example.org' for its subdomains; write an international domain in its xn-- form")
            }
            if let uses, uses < 1 {
                throw Problem(option: "--uses", message: "must be from 1 to 1000000000", hint: nil)
            }
        }
        if let memberFor, !(1...Invitation.maximumMemberFor).contains(memberFor) {
            throw Problem(option: "--member-for", message: "must be a span from 1s to 100 years, such as 7d", hint: nil)
        }
        if let userID, !Name.isValidSubject(userID) {
            throw Problem(option: "--uid", message: "the account id must be 1-256 bytes without control characters", hint: nil)
        }
        if anonymous, subject != nil {
            throw Problem(option: "--anonymous", message: "an invitation for a named person cannot be accepted anonymously", hint: "drop --anonymous or --for")
        }
        if anonymous, userID != nil {
            throw Problem(option: "--anonymous", message: "a signup invitation (--uid) cannot be accepted anonymously", hint: "drop --anonymous or --uid")
        }
        if userID != nil, subject != nil {
            throw Problem(option: "--uid", message: "--uid creates a new account; --for names an existing one", hint: "use one of them")
        }
        if let uses {
            guard (1...1_000_000_000).contains(uses) else {
                throw Problem(option: "--uses", message: "must be from 1 to 1000000000", hint: "leave it out for unlimited uses")
            }
            if uses != 1, userID != nil || (subject != nil && domain == nil) {
                throw Problem(option: "--uses", message: "an invitation for one person or one account is used once", hint: "drop --uses")
            }
        }
        // The verifier's own rule: a label it would refuse is never minted.
        if let label, !Name.isValidLabel(label) {
            throw Problem(option: "--label", message: "must be 1-\(Name.maximumLabelLength) bytes without control characters other than tab", hint: nil)
        }
        // Text shown to people must read as it is: a right-to-left override makes "alice@evil.org"
        // show as another address. Pages isolate such text anyway (for tokens minted elsewhere).
        for (option, text) in [("--for", subject), ("--uid", userID), ("--label", label), ("issuer", issuer), ("--audience", audience)] {
            if let text, Name.containsBidiControls(text) {
                throw Problem(option: option, message: "holds a bidirectional control character (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F or U+061C), which would make it display as other text",
                              hint: "remove the invisible direction characters")
            }
        }
        if let audience, audience.isEmpty || audience.utf8.count > 256 {
            throw Problem(option: "--audience", message: "must be 1-256 bytes", hint: nil)
        }
        let expires = expiresAt(from: now)
        if let expires, expires <= now {
            throw Problem(option: "--expires", message: "\(expires.rfc3339) is already past", hint: "give a future time or a span such as 14d")
        }
        if let notBefore, let expires, notBefore >= expires {
            throw Problem(option: "--not-before", message: "\(notBefore.rfc3339) is not before the expiry \(expires.rfc3339)", hint: nil)
        }
    }

    /// The email domain of `--for '*@DOMAIN'`, or nil for a person or an open invitation.
    public var domain: EmailDomain? {
        guard let subject, subject.hasPrefix(EmailDomain.claimPrefix) else { return nil }
        return EmailDomain(subject.dropFirst(EmailDomain.claimPrefix.count))
    }

    /// The expiry instant for an invitation minted at `now` (nil for `never`).
    public func expiresAt(from now: Timestamp) -> Timestamp? {
        switch expiry {
        case .after(let seconds): return now.adding(seconds: seconds)
        case .at(let time): return time
        case .never: return nil
        }
    }

    /// The invitation these terms describe, with its id and issue time; times are whole seconds.
    public func invitation(id: String, issuedAt now: Timestamp) -> Invitation {
        let issued = Timestamp(seconds: now.seconds)
        return Invitation(id: id, project: project, role: role, issuedAt: issued, notBefore: notBefore,
                          expiresAt: expiresAt(from: issued), issuer: issuer, audience: audience, subject: domain == nil ? subject : nil,
                          userID: userID, uses: userID != nil ? 1 : uses, anonymous: anonymous, label: label,
                          memberFor: memberFor, domain: domain)
    }
}
