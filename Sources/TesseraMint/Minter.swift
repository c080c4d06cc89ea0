#if canImport(Glibc)
import Glibc
#endif
import TesseraCore

/// Signs invitations into PASETO v4.public tokens whose footer names the signing key.
public struct Minter: Sendable {
    /// The key every token is signed with.
    public let key: SigningKey
    private let footer: [UInt8]
    private let encodedFooter: [UInt8]

    public init(key: SigningKey) {
        self.key = key
        footer = Footer.encode(keyID: key.publicKey.id)
        var encoded = [UInt8(ascii: ".")]
        Base64URL.encode(footer, into: &encoded)
        encodedFooter = encoded
    }

    /// The token for `invitation`: `v4.public.` + base64url(claims ‖ signature) + `.` + base64url(footer).
    ///
    /// The audience, when set, is also the implicit assertion, so a verifier that does not
    /// supply it cannot accept the token.
    public func mint(_ invitation: Invitation) -> String {
        let message = invitation.claimsJSON()
        let implicit = invitation.audience.map { Array($0.utf8) } ?? []
        let signed = SignedToken.signingInput(message: message, footer: footer, implicitAssertion: implicit)
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
    /// Signs a revocation list for publication (`revoked.paseto`), with the same key and footer as invitations.
    public func sign(_ list: SignedRevocationList) -> String {
        let message = list.claimsJSON()
        let signature = key.signature(for: SignedToken.signingInput(message: message, footer: footer, implicitAssertion: []))
        var token = Array(SignedToken.header.utf8)
        Base64URL.encode(message + signature, into: &token)
        token += encodedFooter
        return String(decoding: token, as: UTF8.self)
    }
}
