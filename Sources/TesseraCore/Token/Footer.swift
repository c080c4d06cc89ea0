/// The token footer Tessera writes and accepts: exactly `{"kid":"k4.pid.…"}`.
///
/// The footer is unauthenticated until the signature is checked, so nothing but the key id
/// is read from it, and only to choose a key the verifier already trusts.
public enum Footer {
    /// Why a footer is not the one Tessera accepts.
    public enum Error: Swift.Error, Equatable, Sendable {
        /// The token has no footer, so no key can be chosen.
        case missing
        /// Not a JSON object, nested, or not valid JSON.
        case notFlatObject
        /// Holds members other than `kid`.
        case unexpectedMember(String)
        /// `kid` is absent or not a well-formed `k4.pid`.
        case invalidKeyID
    }

    /// The JSON footer naming `id`.
    public static func encode(keyID id: KeyID) -> [UInt8] {
        JSONValue.object([(key: "kid", value: .string(id.rawValue))]).serialized()
    }

    /// The key id named by a footer, after checking the footer is a flat one-member object.
    public static func keyID(in footer: [UInt8]) throws(Error) -> KeyID {
        guard !footer.isEmpty else { throw .missing }
        let value: JSONValue
        do {
            value = try JSONParser(maxDepth: 1, maxBytes: SignedToken.maximumFooterLength).parse(footer)
        } catch {
            throw .notFlatObject
        }
        guard let members = value.objectMembers else { throw .notFlatObject }
        for member in members where member.key != "kid" {
            throw .unexpectedMember(member.key)
        }
        guard let text = value["kid"]?.stringValue, let id = KeyID(text) else { throw .invalidKeyID }
        return id
    }
}
