/// Rules for the short names that end up in paths, URLs and revocation entries.
public enum Name {
    /// Whether `text` is a valid project or role name: 1–64 of `A-Z a-z 0-9 . _ -`, and not `.` or `..`.
    public static func isValidProjectOrRole(_ text: some StringProtocol) -> Bool {
        let bytes = text.utf8
        guard (1...64).contains(bytes.count), bytes.allSatisfy(isNameByte) else { return false }
        return !bytes.allSatisfy { $0 == UInt8(ascii: ".") }
    }

    /// Whether `text` is a well-formed invitation id: 22 base64url characters encoding 16 bytes.
    public static func isValidInvitationID(_ text: some StringProtocol) -> Bool {
        text.utf8.count == 22 && Base64URL.decode(text.utf8)?.count == 16
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
