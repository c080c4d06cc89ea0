/// PASERK (Platform-Agnostic Serialized Keys) names for version 4 keys.
public enum PASERK {
    /// `k4.public.` + base64url(32-byte Ed25519 public key).
    public static let publicPrefix = "k4.public."
    /// `k4.secret.` + base64url(32-byte seed ‖ 32-byte public key).
    public static let secretPrefix = "k4.secret."
    /// `k4.sid.` + the id of a `k4.secret`.
    public static let secretIDPrefix = "k4.sid."

    /// The bytes after `prefix` when `text` is exactly `prefix` + strict base64url of `length` bytes.
    public static func decode(_ text: some StringProtocol, prefix: String, length: Int) -> [UInt8]? {
        let trimmed = text.utf8
        guard trimmed.starts(with: prefix.utf8),
              let bytes = Base64URL.decode(trimmed.dropFirst(prefix.utf8.count)),
              bytes.count == length
        else { return nil }
        return bytes
    }

    /// The PASERK id (`k4.pid.` / `k4.sid.`) of a serialized key: BLAKE2b-264 over the id header and the key text.
    public static func id(header: String, of serialized: String) -> String {
        var hasher = BLAKE2b(outputLength: 33)
        hasher.update(Array(header.utf8))
        hasher.update(Array(serialized.utf8))
        return header + Base64URL.encode(hasher.finalize())
    }
}
