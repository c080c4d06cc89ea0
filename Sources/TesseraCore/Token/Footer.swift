/// The token footer Tessera writes and accepts: `{"kid":"k4.pid.…"}`, and for a token signed
/// by a delegated key `{"kid":"k4.pid.…","dlg":"v4.public.…"}` (DESIGN §11).
///
/// The footer is unauthenticated until the signature is checked, so nothing but the key id
/// and the delegation is read from it: the key id only to choose a key the verifier already
/// trusts, the delegation only to be checked against such a key before anything in it counts.
public enum Footer {
    /// The longest footer that carries a delegation, in bytes: the delegation (at most
    /// `Delegation.maximumLength`) and the key id around it. Every other footer stays within
    /// `SignedToken.maximumFooterLength`; the whole token stays within `SignedToken.maximumLength`.
    public static let maximumDelegatedLength = Delegation.maximumLength + 128

    /// What a footer says, not yet trusted.
    public struct Contents: Sendable, Equatable {
        /// The key id (`kid`).
        public let keyID: KeyID
        /// The delegation token (`dlg`), when the key is a delegated one.
        public let delegation: String?
    }

    /// Why a footer is not the one Tessera accepts.
    public enum Error: Swift.Error, Equatable, Sendable {
        /// The token has no footer, so no key can be chosen.
        case missing
        /// Not a JSON object, nested, or not valid JSON.
        case notFlatObject
        /// Holds members other than `kid` (and `dlg`).
        case unexpectedMember(String)
        /// `kid` is absent or not a well-formed `k4.pid`.
        case invalidKeyID
        /// `dlg` is not a string.
        case invalidDelegation
        /// Longer than `SignedToken.maximumFooterLength` without a delegation, or than `maximumDelegatedLength` with one.
        case tooLong
    }

    /// The JSON footer naming `id`, with the delegation when the key is a delegated one.
    public static func encode(keyID id: KeyID, delegation: String? = nil) -> [UInt8] {
        var members: [(key: String, value: JSONValue)] = [(key: "kid", value: .string(id.rawValue))]
        if let delegation { members.append((key: "dlg", value: .string(delegation))) }
        return JSONValue.object(members).serialized()
    }

    /// The key id named by a footer that may hold nothing else (a delegation's own footer, a revocation list's).
    public static func keyID(in footer: [UInt8]) throws(Error) -> KeyID {
        let contents = try parse(footer, allowingDelegation: false)
        return contents.keyID
    }

    /// Reads a footer: a flat object with `kid` and, if `allowingDelegation`, an optional string `dlg`; nothing else.
    public static func parse(_ footer: [UInt8], allowingDelegation: Bool = true) throws(Error) -> Contents {
        guard !footer.isEmpty else { throw .missing }
        guard footer.count <= (allowingDelegation ? maximumDelegatedLength : SignedToken.maximumFooterLength) else { throw .tooLong }
        let value: JSONValue
        do {
            value = try JSONParser(maxDepth: 1, maxBytes: maximumDelegatedLength).parse(footer)
        } catch {
            throw .notFlatObject
        }
        guard let members = value.objectMembers else { throw .notFlatObject }
        for member in members where member.key != "kid" && !(allowingDelegation && member.key == "dlg") {
            throw .unexpectedMember(member.key)
        }
        guard let text = value["kid"]?.stringValue, let id = KeyID(text) else { throw .invalidKeyID }
        var delegation: String?
        if let dlg = value["dlg"] {
            guard let text = dlg.stringValue else { throw .invalidDelegation }
            delegation = text
        }
        // The larger allowance is for the delegation only: a footer without one keeps the old cap.
        if delegation == nil, footer.count > SignedToken.maximumFooterLength { throw .tooLong }
        return Contents(keyID: id, delegation: delegation)
    }
}
