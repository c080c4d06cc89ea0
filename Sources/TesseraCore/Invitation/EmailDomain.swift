/// The email domain of an invitation minted `--for '*@example.org'` or `--for '*@*.example.org'`.
///
/// The rules are strict on purpose, and a subject that does not meet them is refused rather
/// than guessed at:
///
/// - a domain is ASCII only: letters, digits and `-` in dot-separated labels of 1-63 bytes,
///   no label starting or ending with `-`, at most 253 bytes, no trailing dot. Unicode
///   look-alikes (a Cyrillic `е`, a fullwidth `＠`) and punycode written any other way never
///   match: the issuer writes the domain as its `xn--` form if it needs one;
/// - `example.org` admits subjects `LOCAL@example.org`; `*.example.org` admits subjects whose
///   domain ends in `.example.org` with at least one more label (`LOCAL@dev.example.org`), and
///   not `example.org` itself;
/// - the subject must hold exactly one `@`, with a non-empty local part before it; the domain
///   after it is compared case-insensitively (ASCII), the local part is not looked at.
public struct EmailDomain: Sendable, Hashable, CustomStringConvertible {
    /// The domain, lowercase, without the `*.`.
    public let domain: String
    /// Whether subdomains (and only they) are admitted.
    public let subdomains: Bool

    /// How the claim `sub` spells a domain invitation: `*@` then the domain.
    public static let claimPrefix = "*@"

    /// Parses `example.org` or `*.example.org` (as written after `*@`); case is folded to lowercase.
    public init?(_ text: some StringProtocol) {
        var rest = Substring(text)
        var subdomains = false
        if rest.hasPrefix("*.") {
            subdomains = true
            rest = rest.dropFirst(2)
        }
        guard let domain = Self.normalized(rest) else { return nil }
        // A bare top-level name (`*@org`) would admit a whole registry: at least two labels.
        guard domain.contains(".") else { return nil }
        self.domain = domain
        self.subdomains = subdomains
    }

    /// As written after `*@`: `example.org` or `*.example.org`.
    public var description: String { subdomains ? "*." + domain : domain }

    /// Whether `subject`, a signed-in person's address, is in this domain.
    public func admits(_ subject: String) -> Bool {
        let parts = subject.utf8.split(separator: UInt8(ascii: "@"), omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, let host = Self.normalized(Substring(parts[1])) else { return false }
        if subdomains { return host.hasSuffix("." + domain) }
        return host == domain
    }

    /// The phrase for people: "example.org" or "any subdomain of example.org".
    public var phrase: String { subdomains ? "any subdomain of " + domain : domain }

    /// A lowercase ASCII domain of LDH labels, or nil.
    static func normalized(_ text: Substring) -> String? {
        let bytes = Array(text.utf8)
        guard (1...253).contains(bytes.count) else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for label in bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard (1...63).contains(label.count), label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-") else { return nil }
            for byte in label {
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"): out.append(byte)
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): out.append(byte + 32)
                default: return nil
                }
            }
            out.append(UInt8(ascii: "."))
        }
        out.removeLast()
        return String(decoding: out, as: UTF8.self)
    }
}
