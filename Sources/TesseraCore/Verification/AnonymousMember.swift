import Crypto

/// An anonymous member: a secret only that member's browser holds, and the subject derived from it.
///
/// The subject is public (the app receives it, logs and `members` print it); the secret is
/// not, and the subject gives no way back to it. So knowing an anonymous member's name never
/// lets anyone act as that member, and a name a client makes up is never a subject: only
/// `subject(forSecret:)` makes anonymous subjects. The same secret always gives the same
/// subject, so a browser that retries with its secret gets the same grant.
public enum AnonymousMember {
    /// Random bytes in a new secret: 256 bits (at least 128 are required of any secret presented).
    public static let secretByteCount = 32

    /// A new secret: 32 random bytes, base64url (43 characters).
    public static func newSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(secretByteCount)
        for _ in 0..<(secretByteCount / 8) {
            let word = generator.next() as UInt64
            for j in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: word >> (8 * UInt64(j)))) }
        }
        return Base64URL.encode(bytes)
    }

    /// Whether `text` can be a secret: strict base64url of 16 to 64 bytes (at least 128 bits).
    public static func isValidSecret(_ text: some StringProtocol) -> Bool {
        guard (22...86).contains(text.utf8.count), let bytes = Base64URL.decode(text.utf8) else { return false }
        return (16...64).contains(bytes.count)
    }

    /// The subject a secret stands for: `anon-` and the first 22 characters of base64url(SHA-256(secret)); nil for a malformed secret.
    public static func subject(forSecret secret: some StringProtocol) -> String? {
        guard isValidSecret(secret) else { return nil }
        let digest = SHA256.hash(data: Array(secret.utf8))
        return Admission.anonymousPrefix + String(Base64URL.encode(Array(digest)).prefix(22))
    }
}
