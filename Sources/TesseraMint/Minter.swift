#if canImport(Glibc)
import Glibc
#endif
import TesseraCore

/// Signs invitations into PASETO v4.public tokens whose footer names the signing key.
public struct Minter: Sendable {
    /// The key every token is signed with.
    public let key: SigningKey
    /// The delegation token carried in every invitation's footer, when `key` is a delegated key (DESIGN §11).
    public let delegation: String?
    private let footer: [UInt8]
    private let encodedFooter: [UInt8]
    /// The footer of things only the key itself vouches for (revocation lists, delegations): `kid` alone.
    private let plainFooter: [UInt8]
    private let encodedPlainFooter: [UInt8]

    /// A minter signing with `key`; with `delegation`, every invitation carries it beside `kid`.
    public init(key: SigningKey, delegation: String? = nil) {
        self.key = key
        self.delegation = delegation
        footer = Footer.encode(keyID: key.publicKey.id, delegation: delegation)
        var encoded = [UInt8(ascii: ".")]
        Base64URL.encode(footer, into: &encoded)
        encodedFooter = encoded
        plainFooter = Footer.encode(keyID: key.publicKey.id)
        var plain = [UInt8(ascii: ".")]
        Base64URL.encode(plainFooter, into: &plain)
        encodedPlainFooter = plain
    }

    /// The token for `invitation`: `v4.public.` + base64url(claims ‖ signature) + `.` + base64url(footer).
    ///
    /// The implicit assertion is empty: the audience is the ordinary signed `aud` claim, so any
    /// PASETO library can check it, and a verifier without an audience refuses a token with one.
    public func mint(_ invitation: Invitation) -> String {
        let message = invitation.claimsJSON()
        let signed = SignedToken.signingInput(message: message, footer: footer, implicitAssertion: [])
        let signature = key.signature(for: signed)
        var token = Array(SignedToken.header.utf8)
        token.reserveCapacity(token.count + (message.count + 64) * 4 / 3 + encodedFooter.count + 4)
        Base64URL.encode(message + signature, into: &token)
        token += encodedFooter
        return String(decoding: token, as: UTF8.self)
    }

    /// A new random invitation id: 16 bytes from the kernel's CSPRNG, base64url.
    public static func newInvitationID() -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        // glibc's arc4random_buf is one getrandom(2) call; SystemRandomNumberGenerator would take two.
        // An id starting with '-' (1 in 64) would read as an option in `tessera revoke ID`: drawn again (0.02 bits fewer).
        repeat {
            bytes.withUnsafeMutableBytes { arc4random_buf($0.baseAddress!, 16) }
        } while bytes[0] >> 2 == 62
        return Base64URL.encode(bytes)
    }
}

extension Minter {
    /// Signs a revocation list for publication (`revoked.paseto`), with the same key as invitations and a footer naming it.
    public func sign(_ list: SignedRevocationList) -> String {
        signPlain(list.claimsJSON())
    }

    /// Signs a delegation (DESIGN §11): this minter's key is the root that certifies `delegation.key`.
    public func sign(_ delegation: Delegation) -> String {
        signPlain(delegation.claimsJSON())
    }

    private func signPlain(_ message: [UInt8]) -> String {
        let signature = key.signature(for: SignedToken.signingInput(message: message, footer: plainFooter, implicitAssertion: []))
        var token = Array(SignedToken.header.utf8)
        Base64URL.encode(message + signature, into: &token)
        token += encodedPlainFooter
        return String(decoding: token, as: UTF8.self)
    }
}
