/// A PASETO v4.public token taken apart, its signature not yet checked.
///
/// Parsing enforces the format rules that PASETO libraries have got wrong: a length cap
/// before any decoding, the exact `v4.public.` header, strict unpadded base64url with zero
/// trailing bits, no trailing period, a body longer than the signature, and a bounded footer.
public struct SignedToken: Sendable {
    /// The header every token starts with; no other version or purpose is accepted.
    public static let header = "v4.public."
    /// The longest token accepted, in bytes, checked before anything is decoded.
    public static let maximumLength = 8192
    /// The longest decoded footer accepted, in bytes.
    public static let maximumFooterLength = 512

    /// The signed message: the claims JSON, not yet trusted.
    public let message: [UInt8]
    /// The 64-byte Ed25519 signature.
    public let signature: [UInt8]
    /// The decoded footer (empty when the token has none), not yet trusted.
    public let footer: [UInt8]

    /// Why a token's text is not a well-formed v4.public token.
    public enum FormatError: Error, Equatable, Sendable {
        /// Longer than `maximumLength` bytes.
        case tooLong
        /// Does not start with `v4.public.`.
        case wrongHeader
        /// A `.` with nothing after it, where a footer would be.
        case trailingPeriod
        /// More than two parts after the header.
        case tooManyParts
        /// The body is not strict unpadded base64url.
        case bodyEncoding
        /// The footer is not strict unpadded base64url.
        case footerEncoding
        /// The decoded body is no longer than a signature: there is no message.
        case bodyTooShort
        /// The decoded footer exceeds `maximumFooterLength`.
        case footerTooLong
    }

    /// Splits and decodes a token given as any byte collection; see `init(parsing:)` for `[UInt8]`.
    public init<C: Collection>(parsing token: C) throws(FormatError) where C.Element == UInt8 {
        guard token.count <= Self.maximumLength else { throw .tooLong }
        try self.init(parsing: Array(token))
    }

    /// Splits and decodes a token, enforcing every format rule above.
    ///
    /// This concrete form is the implementation: a generic one called from another module
    /// would scan the token through protocol witnesses, unspecialized.
    ///
    /// - Parameter maximumLength: the length cap; only a signed revocation list, which grows with its entries, raises it.
    /// - Parameter maximumFooterLength: the footer cap; only an invitation, whose footer may carry a delegation
    ///   (`Footer.maximumDelegatedLength`), raises it, and `Footer.parse` then holds a footer without one to the usual cap.
    public init(parsing token: [UInt8], maximumLength: Int = SignedToken.maximumLength,
                maximumFooterLength: Int = SignedToken.maximumFooterLength) throws(FormatError) {
        guard token.count <= maximumLength else { throw .tooLong }
        let header = Self.header.utf8
        guard token.starts(with: header) else { throw .wrongHeader }
        let rest = token.dropFirst(header.count)
        let dot = UInt8(ascii: ".")
        let bodyText: ArraySlice<UInt8>
        var footerText: ArraySlice<UInt8>?
        if let split = rest.firstIndex(of: dot) {
            bodyText = rest[..<split]
            let after = rest[rest.index(after: split)...]
            guard !after.isEmpty else { throw .trailingPeriod }
            guard !after.contains(dot) else { throw .tooManyParts }
            footerText = after
        } else {
            bodyText = rest
        }
        guard let body = Base64URL.decode(bodyText) else { throw .bodyEncoding }
        guard body.count > 64 else { throw .bodyTooShort }
        if let footerText {
            guard let decoded = Base64URL.decode(footerText) else { throw .footerEncoding }
            guard decoded.count <= maximumFooterLength else { throw .footerTooLong }
            footer = decoded
        } else {
            footer = []
        }
        message = Array(body[..<(body.count - 64)])
        signature = Array(body[(body.count - 64)...])
    }

    /// The bytes the signature covers: `PAE(["v4.public.", message, footer, implicit])`.
    public static func signingInput(message: [UInt8], footer: [UInt8], implicitAssertion: [UInt8]) -> [UInt8] {
        PAE.encode([headerBytes[...], message[...], footer[...], implicitAssertion[...]])
    }

    private static let headerBytes = Array(header.utf8)

    /// Whether `key` made this token's signature, with this implicit assertion (empty if none).
    public func isSigned(by key: PublicKey, implicitAssertion: [UInt8] = []) -> Bool {
        let signed = Self.signingInput(message: message, footer: footer, implicitAssertion: implicitAssertion)
        return key.isValidSignature(signature, for: signed)
    }
}
