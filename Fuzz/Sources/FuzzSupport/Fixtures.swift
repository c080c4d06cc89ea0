import TesseraCore
import TesseraMint

/// The fixed keys, clock and lists every fuzz target checks against.
///
/// The keys are those of the hostile vectors (`Tests/TesseraCoreTests/Vectors/hostile/generate.py`),
/// so that tokens from the seed corpus carry a trusted `kid` and reach the signature and claims.
public enum Fixtures {
    /// The key of the official vectors 4-S-1..3 and of the hostile vectors, trusted.
    public static let signingKey = SigningKey(seed: hex("b4cbfb43df4ce210727d953e4a713307fa19bb7d9f85041438d9e11b942a3774"))!
    /// A second trusted key (seed 00 01 … 1f), for key-confusion cases.
    public static let otherKey = SigningKey(seed: Array(0..<32))!
    /// A key nobody trusts (seed 42 × 32).
    public static let strangerKey = SigningKey(seed: [UInt8](repeating: 0x42, count: 32))!

    /// The verifiers' keyring: `signingKey` and `otherKey`.
    public static let keyring = Keyring([signingKey.publicKey, otherKey.publicKey])

    /// The instant decisions are made at (the hostile vectors' `at`).
    public static let now = Timestamp(rfc3339: "2026-06-01T00:00:00Z")!

    /// A revocation list with one entry of each kind, none of which covers the baseline invitation.
    public static let revocations = try! RevocationList(parsing: Array("""
        BBBBBBBBBBBBBBBBBBBBBA
        project:paused
        key:\(otherKey.publicKey.id)
        before:2026-01-01T00:00:00Z
        """.utf8))

    /// The verifier of the hostile vectors: both trusted keys, the list above, no audience, 60 s leeway.
    public static let verifier = Verifier(keyring: keyring, revocations: revocations)

    /// The same with an audience set, so audience mismatches are reached too.
    public static let audienceVerifier = Verifier(keyring: keyring, revocations: revocations, audience: "gw.example.org")

    /// Requests a decision is made for: none, a project and subject, an identity required.
    public static let requests: [AccessRequest] = [
        AccessRequest(),
        AccessRequest(project: "talk-2026", subject: "alice@example.org", requiresIdentity: true),
        AccessRequest(project: "lab", requiresIdentity: true),
    ]

    /// A token over `message` and `footer` (no footer part when empty), signed by `key` with `implicit`.
    public static func token(message: [UInt8], footer: [UInt8], implicit: [UInt8] = [], key: SigningKey = signingKey) -> [UInt8] {
        let signature = key.signature(for: SignedToken.signingInput(message: message, footer: footer, implicitAssertion: implicit))
        var token = Array(SignedToken.header.utf8)
        Base64URL.encode(message + signature, into: &token)
        if !footer.isEmpty {
            token.append(UInt8(ascii: "."))
            Base64URL.encode(footer, into: &token)
        }
        return token
    }

    static func hex(_ text: String) -> [UInt8] {
        let digits = Array(text.utf8).map { $0 <= 0x39 ? $0 - 0x30 : $0 - 0x57 }
        return stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }
}

/// Stops the fuzzer with `message` when an invariant does not hold: libFuzzer then keeps the input.
public func require(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    if !condition { fatalError("invariant violated: \(message())", file: file, line: line) }
}

/// The fuzzer's input as an array.
public func input(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

/// The input split at its first zero byte: the part before, and the part after (nil without a zero byte).
///
/// JSON and TOML text cannot hold a raw zero byte, so targets use it to append a second field.
public func splitAtZero(_ bytes: [UInt8]) -> (head: [UInt8], tail: [UInt8]?) {
    guard let zero = bytes.firstIndex(of: 0) else { return (bytes, nil) }
    return (Array(bytes[..<zero]), Array(bytes[(zero + 1)...]))
}

/// Whether two strings have the same UTF-8 bytes (Swift's `==` also equates canonically equivalent ones).
public func exactly(_ a: String?, _ b: String?) -> Bool {
    a.map { Array($0.utf8) } == b.map { Array($0.utf8) }
}
