/// The code of a short link, `out/s/<code>/`: 9 characters a person can read out and type.
///
/// The alphabet leaves out the characters people mix up (0/o, 1/l/i) and u; it is lower case
/// because static hosts match paths case-sensitively and phones type lower case without
/// effort. Nine characters of 30 carry 44.2 bits, drawn uniformly: guessing one of a site's
/// codes stays out of reach of anyone probing the host, and a code leads only to a page
/// that is itself a bearer link, so a short link is as public as the page it names.
public enum ShortCode {
    /// The characters a code is made of.
    public static let alphabet = Array("23456789abcdefghjkmnpqrstvwxyz".utf8)
    /// Characters in a code.
    public static let length = 9

    /// Whether `text` is a well-formed code: `length` characters of `alphabet`.
    public static func isValid(_ text: some StringProtocol) -> Bool {
        text.utf8.count == length && text.utf8.allSatisfy { alphabet.contains($0) }
    }

    /// A new random code, each character drawn uniformly from the alphabet.
    public static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    /// A new code from `generator` (for tests that need a fixed sequence).
    public static func random(using generator: inout some RandomNumberGenerator) -> String {
        String(decoding: (0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }, as: UTF8.self)
    }
}
