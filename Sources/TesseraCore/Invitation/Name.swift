/// Rules for the short names that end up in paths, URLs and revocation entries.
public enum Name {
    /// Whether `text` is a valid project or role name: 1–64 of `A-Z a-z 0-9 . _ -`, and not `.` or `..`.
    public static func isValidProjectOrRole(_ text: some StringProtocol) -> Bool {
        let bytes = text.utf8
        guard (1...64).contains(bytes.count), bytes.allSatisfy(isNameByte) else { return false }
        return !bytes.allSatisfy { $0 == UInt8(ascii: ".") }
    }

    /// Whether `text` can name a key in `keys/` (`NAME.secret.pem`): the same rule, so that a name never leads out of the folder.
    public static func isValidKeyName(_ text: some StringProtocol) -> Bool {
        // Not starting with '.': the keys folder's listing skips dot-files, so such a key would sign
        // (and a delegation would be kept) without ever being published, listed or loaded.
        isValidProjectOrRole(text) && text.first != "."
    }

    /// Whether `scalar` changes the direction of the text around it: the embeddings and overrides
    /// U+202A–U+202E, the isolates U+2066–U+2069, the marks U+200E, U+200F and U+061C.
    public static func isBidiControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x202a...0x202e, 0x2066...0x2069, 0x200e, 0x200f, 0x061c: return true
        default: return false
        }
    }

    /// Whether `text` holds a bidirectional control: shown, it can make `xalice@evil.org` read as another address.
    public static func containsBidiControls(_ text: some StringProtocol) -> Bool {
        text.unicodeScalars.contains(where: isBidiControl)
    }

    /// Whether `text` is an acceptable invitation id (`jti`): 16–64 characters of `A-Z a-z 0-9 _ -`.
    ///
    /// Wide enough for the ids other issuers mint (UUIDs, ULIDs, other base64url ids), narrow
    /// enough to be safe in paths, URLs, revocation entries and log lines.
    public static func isValidInvitationID(_ text: some StringProtocol) -> Bool {
        let bytes = text.utf8
        return (16...64).contains(bytes.count) && bytes.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
    }

    /// Whether `text` is an id as `tessera` mints it: 22 base64url characters encoding 16 bytes.
    public static func isMintedInvitationID(_ text: some StringProtocol) -> Bool {
        text.utf8.count == 22 && Base64URL.decode(text.utf8)?.count == 16
    }

    /// Whether two subjects are the same person: byte for byte in UTF-8, never by Unicode canonical equivalence
    /// (Swift's `==` would take `\u{212A}im` (KELVIN SIGN) for `Kim`, a different login at the SSO).
    public static func isSameSubject(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.elementsEqual(rhs.utf8)
    }

    /// Whether `text` can be a subject or account id: 1–256 bytes, no control characters.
    public static func isValidSubject(_ text: some StringProtocol) -> Bool {
        (1...256).contains(text.utf8.count) && !containsControlCharacters(text)
    }

    /// The longest label, in bytes: it is shown on a page, not stored as a document.
    public static let maximumLabelLength = 1000

    /// Whether `text` can be an invitation's label: 1–1000 bytes of free text, no control character but tab.
    ///
    /// Labels are shown on link pages and in terminals; a control character could rewrite the
    /// terminal line that says whether a signature was verified.
    public static func isValidLabel(_ text: some StringProtocol) -> Bool {
        (1...maximumLabelLength).contains(text.utf8.count) && !containsControlCharacters(text, allowingTab: true)
    }

    /// Whether `text` holds a C0 control, DEL or a C1 control.
    static func containsControlCharacters(_ text: some StringProtocol, allowingTab: Bool = false) -> Bool {
        text.unicodeScalars.contains { ($0.value < 0x20 && !(allowingTab && $0 == "\t")) || $0.value == 0x7f || (0x80...0x9f).contains($0.value) }
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }
}
