/// A PASERK `k4.pid` key id: names a public key without revealing it, and picks it from a keyring.
public struct KeyID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The full text, `k4.pid.` followed by 44 base64url characters.
    public let rawValue: String

    static let prefix = "k4.pid."

    /// Accepts only the exact `k4.pid.` form: 7 + 44 characters that decode strictly to 33 bytes.
    public init?(_ text: some StringProtocol) {
        guard text.utf8.count == 51, text.hasPrefix(Self.prefix),
              let digest = Base64URL.decode(text.utf8.dropFirst(7)), digest.count == 33
        else { return nil }
        rawValue = String(text)
    }

    /// The id of a raw Ed25519 public key: BLAKE2b-264 over `"k4.pid." + "k4.public." + base64url(key)`.
    init(publicKeyBytes: [UInt8]) {
        var hasher = BLAKE2b(outputLength: 33)
        hasher.update(Array(Self.prefix.utf8))
        hasher.update(Array(PASERK.publicPrefix.utf8))
        hasher.update(Array(Base64URL.encode(publicKeyBytes).utf8))
        rawValue = Self.prefix + Base64URL.encode(hasher.finalize())
    }

    public var description: String { rawValue }

    public static func < (lhs: KeyID, rhs: KeyID) -> Bool { lhs.rawValue < rhs.rawValue }
}
