/// The revocation list: invitations, projects, keys and time ranges that no longer grant anything.
///
/// Its text form, `revoked.txt`, is meant to be edited by hand: one entry per line, `#`
/// starts a comment, blank lines are ignored.
///
/// ```
/// Qm9vb2JhcmJhemJhenF1eA        # a single invitation (jti)
/// project:talk-2026             # every invitation for a project
/// key:k4.pid.9ShR3xc8-qVJ…      # everything signed by a key
/// before:2026-11-01T00:00:00Z   # everything issued before an instant
/// member:talk-2026:alice@example.org  # one subject removed from one project
/// ```
///
/// In a `member:` entry the project ends at the first `:` (project names hold none); the rest is
/// the subject, which may hold `:` and `@`. `%`, `#`, space, tab and every byte that is not
/// printable ASCII are written `%XX` (two uppercase hex digits), so that a comment or trailing
/// space never changes which subject is meant; a `%` not followed by two hex digits is an error.
public struct RevocationList: Sendable, Equatable {
    /// Revoked invitation ids.
    public private(set) var invitationIDs: Set<String> = []
    /// Projects whose invitations are all revoked.
    public private(set) var projects: Set<String> = []
    /// Keys whose invitations are all revoked.
    public private(set) var keyIDs: Set<KeyID> = []
    /// Invitations issued before this instant are revoked (the latest `before:` entry wins).
    public private(set) var issuedBefore: Timestamp?
    /// Subjects removed from a project, whatever invitation they joined through.
    public private(set) var members: Set<Member> = []
    /// `members` by subject with ASCII letters lowercased, so that a removal also catches `EVE@example.org` for
    /// `eve@example.org`: an email domain matches in any case, and many logins keep the case a person typed.
    /// Removing more than the byte-exact subject fails closed; granting stays byte for byte.
    private var membersFolded: [Member: Member] = [:]
    /// Set when the list was read for one invitation (`init(parsing:onlyInvitation:)`): it then holds no other invitation id.
    public private(set) var onlyInvitation: String?

    /// A subject in a project: what a `member:` entry names.
    public struct Member: Hashable, Sendable, Comparable {
        public let project: String
        public let subject: String

        public init(project: String, subject: String) {
            self.project = project
            self.subject = subject
        }

        public static func < (lhs: Member, rhs: Member) -> Bool { (lhs.project, lhs.subject) < (rhs.project, rhs.subject) }
    }

    /// One entry of the list.
    public enum Entry: Hashable, Sendable, CustomStringConvertible {
        /// A single invitation, by id.
        case invitation(String)
        /// Every invitation for a project.
        case project(String)
        /// Everything signed by a key.
        case key(KeyID)
        /// Everything issued before an instant.
        case issuedBefore(Timestamp)
        /// One subject's membership of one project.
        case member(Member)

        /// The entry as written in `revoked.txt`.
        public var description: String {
            switch self {
            case .invitation(let id): return id
            case .project(let name): return "project:" + name
            case .key(let id): return "key:" + id.rawValue
            // With its fraction: written in whole seconds it would revoke less once published.
            case .issuedBefore(let time): return "before:" + time.exactRFC3339
            case .member(let member): return "member:" + member.project + ":" + Self.escape(member.subject)
            }
        }

        /// Whether this entry removes a member rather than revoking invitations.
        public var isMember: Bool {
            if case .member = self { return true }
            return false
        }

        /// A subject as written in a `member:` entry: `%`, `#`, blanks and bytes outside printable ASCII as `%XX`.
        public static func escape(_ subject: String) -> String {
            var out = ""
            for byte in subject.utf8 {
                if byte > 0x20, byte < 0x7f, byte != UInt8(ascii: "%"), byte != UInt8(ascii: "#") {
                    out.unicodeScalars.append(Unicode.Scalar(byte))
                } else {
                    let digits = Array("0123456789ABCDEF".unicodeScalars)
                    out.unicodeScalars.append("%")
                    out.unicodeScalars.append(digits[Int(byte >> 4)])
                    out.unicodeScalars.append(digits[Int(byte & 0x0f)])
                }
            }
            return out
        }

        /// The subject a `member:` entry names, or nil when its escapes are malformed or it is not a valid subject.
        static func unescape(_ text: some StringProtocol) -> String? {
            var bytes: [UInt8] = []
            var iterator = Array(text.utf8).makeIterator()
            func hex(_ byte: UInt8?) -> UInt8? {
                switch byte {
                case let b? where (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b): return b - UInt8(ascii: "0")
                case let b? where (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(b): return b - UInt8(ascii: "A") + 10
                case let b? where (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(b): return b - UInt8(ascii: "a") + 10
                default: return nil
                }
            }
            while let byte = iterator.next() {
                if byte == UInt8(ascii: "%") {
                    guard let high = hex(iterator.next()), let low = hex(iterator.next()) else { return nil }
                    bytes.append(high << 4 | low)
                } else {
                    // Written plainly, only printable ASCII other than % and #: anything else must be escaped.
                    guard byte > 0x20, byte < 0x7f else { return nil }
                    bytes.append(byte)
                }
            }
            guard let subject = String(validating: bytes, as: UTF8.self), Name.isValidSubject(subject) else { return nil }
            return subject
        }

        /// Parses one entry, without comment or surrounding space.
        public init?(_ text: some StringProtocol) {
            if text.hasPrefix("project:") {
                let name = text.dropFirst(8)
                guard Name.isValidProjectOrRole(name) else { return nil }
                self = .project(String(name))
            } else if text.hasPrefix("key:") {
                guard let id = KeyID(text.dropFirst(4)) else { return nil }
                self = .key(id)
            } else if text.hasPrefix("before:") {
                guard let time = Timestamp(rfc3339: text.dropFirst(7)) else { return nil }
                self = .issuedBefore(time)
            } else if text.hasPrefix("member:") {
                let rest = text.dropFirst(7)
                guard let colon = rest.firstIndex(of: ":") else { return nil }
                let project = rest[..<colon]
                guard Name.isValidProjectOrRole(project), let subject = Self.unescape(rest[rest.index(after: colon)...]) else { return nil }
                self = .member(Member(project: String(project), subject: subject))
            } else if Name.isValidInvitationID(text) {
                self = .invitation(String(text))
            } else {
                return nil
            }
        }
    }

    /// A malformed line, with its 1-based number.
    public struct ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        /// The line number, counting from 1.
        public let line: Int
        /// What is wrong with it.
        public let message: String

        public var description: String { "line \(line): \(message)" }
    }

    /// An empty list.
    public init() {}

    /// A list holding `entries`.
    public init(_ entries: some Sequence<Entry>) {
        for entry in entries { insert(entry) }
    }

    /// Parses the text form; any line that is not blank, a comment or a valid entry is an error naming that line.
    ///
    /// Lines may end in CRLF, and a UTF-8 byte order mark may start the file (some Windows editors
    /// write one); anywhere else a byte order mark is part of a line, and an error.
    ///
    /// With `onlyInvitation`, every line is still checked, but of the invitation ids only that one
    /// is kept: a one-shot `check` of one token thus skips building a set of every id, which is
    /// most of the cost of a long list. Such a list never clears another invitation (see
    /// `entry(revoking:signedBy:)`).
    public init(parsing text: [UInt8], onlyInvitation: String? = nil) throws(ParseError) {
        let wanted = onlyInvitation.map { Array($0.utf8) }
        // One pass over the bytes, with no slice per line: a list may hold hundreds of thousands of
        // entries, and a verifier reads it on every `check` and every reload.
        self = try text.withUnsafeBufferPointer { (bytes) throws(ParseError) -> RevocationList in
            // Bounds: the table has 256 entries and is indexed by a UInt8 only.
            try Self.base64URL.withUnsafeBufferPointer { (isIDByte) throws(ParseError) -> RevocationList in
                var list = RevocationList()
                list.onlyInvitation = onlyInvitation
                // At most one id per 23 bytes: growing the set step by step costs more than the parsing.
                if wanted == nil { list.invitationIDs.reserveCapacity(min(bytes.count / 23, 1 << 20)) }
                var start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
                var lineNumber = 0
                while start <= bytes.count {
                    lineNumber += 1
                    // Most lines are a bare invitation id (16-64 of A-Z a-z 0-9 - _, as
                    // `Name.isValidInvitationID`): one pass checks its bytes and finds its end. Every
                    // other entry holds a `:`, which no id does, so it never passes here by mistake.
                    var end: Int
                    if start + 22 < bytes.count, bytes[start + 22] == 0x0a, Self.areIDBytes(bytes, from: start, count: 22, table: isIDByte) {
                        // The commonest line, one of tessera's own 22-character ids: its end is where
                        // endOfIDBytes would find it, and its bytes are checked without a branch each.
                        end = start + 22
                    } else {
                        end = Self.endOfIDBytes(bytes, from: start, table: isIDByte)
                    }
                    if end == bytes.count || bytes[end] == 0x0a, (16...64).contains(end - start) {
                        let line = UnsafeBufferPointer(rebasing: bytes[start..<end])
                        if wanted == nil || Self.equal(line, wanted!) {
                            list.invitationIDs.insert(String(decoding: line, as: UTF8.self))
                        }
                        start = end + 1
                        continue
                    }
                    // Anything else: the line's end, the comment, the blanks around the entry. No `#` was
                    // passed above (it is no id byte), so the scan goes on from `end`.
                    var contentEnd: Int?
                    while end < bytes.count, bytes[end] != 0x0a {
                        if contentEnd == nil, bytes[end] == UInt8(ascii: "#") { contentEnd = end }
                        end += 1
                    }
                    var low = start, high = contentEnd ?? end
                    start = end + 1
                    while low < high, Self.isBlank(bytes[low]) { low += 1 }
                    while high > low, Self.isBlank(bytes[high - 1]) { high -= 1 }
                    if low == high { continue }
                    guard let entryText = String(validating: UnsafeBufferPointer(rebasing: bytes[low..<high]), as: UTF8.self) else {
                        throw ParseError(line: lineNumber, message: "not valid UTF-8")
                    }
                    guard let entry = Entry(entryText) else {
                        throw ParseError(line: lineNumber, message: Self.explain(entryText))
                    }
                    // An id with a comment or blanks beside it, the one kept when reading for one invitation.
                    if case .invitation(let id) = entry, let onlyInvitation, id != onlyInvitation { continue }
                    list.insert(entry)
                }
                return list
            }
        }
    }

    /// The index of the first byte at or after `start` that no invitation id may hold (`bytes.count` if none).
    ///
    /// Eight bytes a step while eight remain: their `table` entries (1 for an id byte, 0 for any
    /// other) ANDed, one branch a step instead of one a byte; then a byte at a time. (A word-wide
    /// classification, tried too, took as many instructions: a line's own bookkeeping dominates.)
    static func endOfIDBytes(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, table: UnsafeBufferPointer<UInt8>) -> Int {
        var end = start
        // Bounds: `end + 8 <= bytes.count` before reading bytes[end...end+7]; `table` has 256 entries, indexed by a byte.
        while end + 8 <= bytes.count {
            let all = table[Int(bytes[end])] & table[Int(bytes[end + 1])] & table[Int(bytes[end + 2])] & table[Int(bytes[end + 3])]
                & table[Int(bytes[end + 4])] & table[Int(bytes[end + 5])] & table[Int(bytes[end + 6])] & table[Int(bytes[end + 7])]
            if all == 0 { break }
            end += 8
        }
        while end < bytes.count, table[Int(bytes[end])] != 0 { end += 1 }
        return end
    }

    /// Whether the `count` bytes from `start` are all id bytes: their `table` entries ANDed, with no branch per byte.
    static func areIDBytes(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, count: Int, table: UnsafeBufferPointer<UInt8>) -> Bool {
        precondition(start >= 0 && start + count <= bytes.count)
        var all: UInt8 = 1
        // Bounds: `start + count <= bytes.count` (checked above); `table` has 256 entries, indexed by a byte.
        for index in start..<(start + count) { all &= table[Int(bytes[index])] }
        return all != 0
    }

    /// Which bytes an invitation id may hold, by byte value: 1 if it may, 0 if not.
    private static let base64URL: [UInt8] = (0...255).map { byte in
        (0x41...0x5a).contains(byte) || (0x61...0x7a).contains(byte) || (0x30...0x39).contains(byte) || byte == 0x2d || byte == 0x5f ? 1 : 0
    }

    /// Whether a line holds exactly `wanted`. Nearly every line of a long list differs in its first
    /// byte, so that one is compared before the whole.
    private static func equal(_ line: UnsafeBufferPointer<UInt8>, _ wanted: [UInt8]) -> Bool {
        line.count == wanted.count && (line.isEmpty || line[0] == wanted[0]) && line.elementsEqual(wanted)
    }

    /// Space, tab or the carriage return of a CRLF line end.
    private static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0d }

    /// Adds an entry.
    public mutating func insert(_ entry: Entry) {
        switch entry {
        case .invitation(let id): invitationIDs.insert(id)
        case .project(let name): projects.insert(name)
        case .key(let id): keyIDs.insert(id)
        case .issuedBefore(let time): issuedBefore = max(issuedBefore ?? time, time)
        case .member(let member):
            members.insert(member)
            let key = Self.folded(member)
            membersFolded[key] = membersFolded[key].map { min($0, member) } ?? member  // the same whatever the order
        }
    }

    /// The entry that removes `subject` from `project`, or nil if none does.
    public func entry(removing subject: String, from project: String) -> Entry? {
        guard !members.isEmpty else { return nil }
        let member = Member(project: project, subject: subject)
        if members.contains(member) { return .member(member) }
        return membersFolded[Self.folded(member)].map(Entry.member)
    }

    private static func folded(_ member: Member) -> Member {
        let lowered = member.subject.utf8.map(ASCII.lowercased)
        return Member(project: member.project, subject: String(decoding: lowered, as: UTF8.self))
    }

    /// The entry that revokes an invitation signed by `key`, or nil if none does.
    public func entry(revoking invitation: Invitation, signedBy key: KeyID) -> Entry? {
        // A list read for another invitation lacks this one's line, if it has one: it clears nothing (fail closed).
        if invitationIDs.contains(invitation.id) || (onlyInvitation.map { $0 != invitation.id } ?? false) { return .invitation(invitation.id) }
        if projects.contains(invitation.project) { return .project(invitation.project) }
        if keyIDs.contains(key) { return .key(key) }
        if let before = issuedBefore, invitation.issuedAt < before { return .issuedBefore(before) }
        return nil
    }

    /// Whether a `key:` entry revokes everything `key` signs.
    public func revokes(key: KeyID) -> Bool { keyIDs.contains(key) }

    /// The entry that revokes a verified token: by its invitation, its key, or the root key that delegated its key.
    public func entry(revoking token: VerifiedToken) -> Entry? {
        if let entry = entry(revoking: token.invitation, signedBy: token.keyID) { return entry }
        if let root = token.delegation?.signer, keyIDs.contains(root) { return .key(root) }
        return nil
    }

    /// The number of entries.
    public var count: Int { invitationIDs.count + projects.count + keyIDs.count + (issuedBefore == nil ? 0 : 1) + members.count }

    /// Every entry, in a stable order.
    public var entries: [Entry] {
        invitationIDs.sorted().map(Entry.invitation) + projects.sorted().map(Entry.project)
            + keyIDs.sorted().map(Entry.key) + (issuedBefore.map { [Entry.issuedBefore($0)] } ?? []) + members.sorted().map(Entry.member)
    }

    private static func explain(_ text: String) -> String {
        let shown = text.count > 60 ? String(text.prefix(60)) + "…" : text
        if text.hasPrefix("project:") { return "\"\(shown)\" is not a valid project name (1-64 of A-Z a-z 0-9 . _ -)" }
        if text.hasPrefix("key:") { return "\"\(shown)\" is not a k4.pid key id" }
        if text.hasPrefix("before:") { return "\"\(shown)\" is not an RFC 3339 time such as before:2026-11-01T00:00:00Z" }
        if text.hasPrefix("member:") {
            return "\"\(shown)\" is not member:PROJECT:SUBJECT (a project name, then the subject with %, #, blanks and non-ASCII bytes written %XX)"
        }
        return "\"\(shown)\" is not an invitation id, project:NAME, key:k4.pid.…, before:TIME or member:PROJECT:SUBJECT"
    }
}
