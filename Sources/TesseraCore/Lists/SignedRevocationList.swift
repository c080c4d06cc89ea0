/// The revocation list as published in `out/.well-known/tessera/revoked.paseto`: a v4.public token whose claims hold the entries and `iat`.
///
/// Remote verifiers follow it by file or URL. A list older than the one a verifier
/// already holds is refused, so an attacker cannot replay an old list to un-revoke.
public struct SignedRevocationList: Sendable, Equatable {
    /// The `typ` claim that tells a revocation list from an invitation.
    public static let type = "tessera-revocation-list"
    /// The longest published list accepted, in bytes: about 400,000 entries.
    public static let maximumLength = 16 << 20

    /// When the list was signed.
    public let issuedAt: Timestamp
    /// The list itself.
    public let list: RevocationList

    public init(issuedAt: Timestamp, list: RevocationList) {
        self.issuedAt = issuedAt
        self.list = list
    }

    /// The claims to sign: `{"typ":…,"iat":…,"entries":[…]}`.
    public func claimsJSON() -> [UInt8] {
        JSONValue.object([
            ("typ", .string(Self.type)),
            ("iat", .string(issuedAt.rfc3339)),
            ("entries", .array(list.entries.map { .string($0.description) })),
        ]).serialized()
    }

    /// Why a published list was refused.
    public enum Error: Swift.Error, Equatable, Sendable, CustomStringConvertible {
        /// Not a well-formed token, or not a revocation list.
        case malformed(String)
        /// Not signed by a trusted key.
        case untrusted(String)
        /// Older than the list already held.
        case rollback(held: Timestamp, offered: Timestamp)

        public var description: String {
            switch self {
            case .malformed(let why): return "not a signed revocation list: \(why)"
            case .untrusted(let why): return "the revocation list is not signed by a trusted key: \(why)"
            case .rollback(let held, let offered):
                return "the revocation list was signed at \(offered.rfc3339), older than the one held (\(held.rfc3339)): refusing a rollback"
            }
        }
    }

    /// Verifies a published list against a keyring, refusing one older than `held`.
    public init(verifying token: [UInt8], keyring: Keyring, notOlderThan held: Timestamp? = nil) throws(Error) {
        var bytes = token
        while let last = bytes.last, last == 0x0a || last == 0x0d { bytes.removeLast() }
        let parsed: SignedToken
        do { parsed = try SignedToken(parsing: bytes, maximumLength: Self.maximumLength) } catch { throw .malformed("\(error)") }
        let keyID: KeyID
        do { keyID = try Footer.keyID(in: parsed.footer) } catch { throw .malformed("\(error)") }
        guard let key = keyring[keyID] else { throw .untrusted("\(keyID) is not a trusted key") }
        guard parsed.isSigned(by: key) else { throw .untrusted("the signature does not verify with \(keyID)") }
        let claims: JSONValue
        do { claims = try JSONParser(maxDepth: 3, maxBytes: Self.maximumLength).parse(parsed.message) } catch { throw .malformed("\(error)") }
        guard claims["typ"]?.stringValue == Self.type else { throw .malformed("its typ is not \(Self.type)") }
        guard let iatText = claims["iat"]?.stringValue, let iat = Timestamp(rfc3339: iatText) else { throw .malformed("no valid iat") }
        guard case .array(let items)? = claims["entries"] else { throw .malformed("no entries array") }
        var list = RevocationList()
        for item in items {
            guard let text = item.stringValue, let entry = RevocationList.Entry(text) else { throw .malformed("an entry is not valid") }
            list.insert(entry)
        }
        if let held, iat < held { throw .rollback(held: held, offered: iat) }
        issuedAt = iat
        self.list = list
    }
}
