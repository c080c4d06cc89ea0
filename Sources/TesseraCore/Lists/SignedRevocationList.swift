/// The revocation list as published in `out/.well-known/tessera/revoked.paseto`: a v4.public token whose claims hold the entries and `iat`.
///
/// Remote verifiers follow it by file or URL. A list older than the one a verifier
/// already holds is refused, so an attacker cannot replay an old list to un-revoke. A list
/// dated in the future is refused (and so never remembered), so one skewed build clock cannot
/// make every later genuine list look like a rollback. A list signed by a key that the list in
/// force revokes is refused. With `exp` (`revoked_valid_for`), an expired list is refused like
/// an unverifiable one, so a mirror cannot keep serving a stale list forever.
public struct SignedRevocationList: Sendable, Equatable {
    /// The `typ` claim that tells a revocation list from an invitation.
    public static let type = "tessera-revocation-list"
    /// The longest published list accepted, in bytes: about 400,000 entries.
    public static let maximumLength = 16 << 20

    /// When the list was signed.
    public let issuedAt: Timestamp
    /// When the list stops being valid (`exp`); nil for a list that never expires.
    public let expiresAt: Timestamp?
    /// The list itself.
    public let list: RevocationList

    public init(issuedAt: Timestamp, expiresAt: Timestamp? = nil, list: RevocationList) {
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.list = list
    }

    /// The claims to sign: `{"typ":…,"iat":…,"exp":…,"entries":[…]}` (`exp` only when set).
    public func claimsJSON() -> [UInt8] {
        var members: [(key: String, value: JSONValue)] = [("typ", .string(Self.type)), ("iat", .string(issuedAt.rfc3339))]
        if let expiresAt { members.append(("exp", .string(expiresAt.rfc3339))) }
        members.append(("entries", .array(list.entries.map { .string($0.description) })))
        return JSONValue.object(members).serialized()
    }

    /// Why a published list was refused.
    public enum Error: Swift.Error, Equatable, Sendable, CustomStringConvertible {
        /// Not a well-formed token, or not a revocation list.
        case malformed(String)
        /// Not signed by a trusted key.
        case untrusted(String)
        /// Older than the list already held.
        case rollback(held: Timestamp, offered: Timestamp)
        /// Signed later than now plus the leeway: a skewed clock or a forgery, never remembered.
        case future(issuedAt: Timestamp)
        /// Its `exp` has passed.
        case expired(at: Timestamp)

        public var description: String {
            switch self {
            case .malformed(let why): return "not a signed revocation list: \(why)"
            case .untrusted(let why): return "the revocation list is not signed by a trusted key: \(why)"
            case .rollback(let held, let offered):
                return "the revocation list was signed at \(offered.rfc3339), older than the one held (\(held.rfc3339)): refusing a rollback"
            case .future(let iat):
                return "the revocation list is dated \(iat.rfc3339), in the future: refused and not remembered (check the clock of the machine that ran tessera build)"
            case .expired(let exp):
                return "the revocation list expired at \(exp.rfc3339): publish a fresh one with tessera build"
            }
        }
    }

    /// Verifies a published list against a keyring, refusing one older than `held`, dated after `now` plus `leeway`,
    /// expired, or signed by a key that `inForce` (the list the verifier holds) or the list itself revokes.
    public init(verifying token: [UInt8], keyring: Keyring, notOlderThan held: Timestamp? = nil,
                at now: Timestamp = .now, leeway: Int64 = 60, inForce: RevocationList? = nil) throws(Error) {
        var bytes = token
        while let last = bytes.last, last == 0x0a || last == 0x0d { bytes.removeLast() }
        let parsed: SignedToken
        do { parsed = try SignedToken(parsing: bytes, maximumLength: Self.maximumLength) } catch { throw .malformed("\(error)") }
        let keyID: KeyID
        do { keyID = try Footer.keyID(in: parsed.footer) } catch { throw .malformed("\(error)") }
        guard let key = keyring[keyID] else { throw .untrusted("\(keyID) is not a trusted key") }
        guard parsed.isSigned(by: key) else { throw .untrusted("the signature does not verify with \(keyID)") }
        // A revoked key must not be able to publish the list that would un-revoke it.
        if let inForce, inForce.revokes(key: keyID) {
            throw .untrusted("it is signed by \(keyID), which the revocation list in force revokes")
        }
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
        if list.revokes(key: keyID) { throw .untrusted("it is signed by \(keyID), which the list itself revokes") }
        var exp: Timestamp?
        if let value = claims["exp"] {
            guard let text = value.stringValue, let parsedExp = Timestamp(rfc3339: text) else { throw .malformed("exp is not an RFC 3339 time") }
            exp = parsedExp
        }
        if iat > now.adding(seconds: leeway) { throw .future(issuedAt: iat) }
        if let exp, now > exp.adding(seconds: leeway) { throw .expired(at: exp) }
        if let held, iat < held { throw .rollback(held: held, offered: iat) }
        issuedAt = iat
        expiresAt = exp
        self.list = list
    }
}
