#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Crypto

/// An Ed25519 public key for v4.public tokens, with its PASERK id.
public struct PublicKey: Hashable, Sendable {
    /// The 32 raw key bytes.
    public let rawRepresentation: [UInt8]
    /// The PASERK `k4.pid` naming this key.
    public let id: KeyID
    let key: Curve25519.Signing.PublicKey

    /// Wraps 32 raw bytes; nil if they are not a valid Ed25519 point encoding of the right length.
    public init?(rawRepresentation bytes: [UInt8]) {
        guard bytes.count == 32, let key = try? Curve25519.Signing.PublicKey(rawRepresentation: bytes) else { return nil }
        self.key = key
        rawRepresentation = bytes
        id = KeyID(publicKeyBytes: bytes)
    }

    /// Reads a `k4.public.` PASERK.
    public init?(paserk text: some StringProtocol) {
        guard let bytes = PASERK.decode(text, prefix: PASERK.publicPrefix, length: 32) else { return nil }
        self.init(rawRepresentation: bytes)
    }

    /// Reads an SPKI `PUBLIC KEY` PEM document holding an Ed25519 key.
    public init(pem text: String) throws(PEM.Error) {
        let bytes = try PEM.ed25519PublicKey(fromPEM: text)
        guard let key = PublicKey(rawRepresentation: bytes) else { throw .notEd25519 }
        self = key
    }

    /// The `k4.public.` PASERK of this key.
    public var paserk: String { PASERK.publicPrefix + Base64URL.encode(rawRepresentation) }

    /// The SPKI `PUBLIC KEY` PEM document of this key, as `openssl pkey -pubout` writes it.
    public var pemRepresentation: String { PEM.encode(PEM.ed25519PublicPrefix + rawRepresentation, label: "PUBLIC KEY") }

    /// Checks a detached Ed25519 signature, refusing non-canonical ones (S ≥ L) and any under a key of small order, whatever the backend does.
    public func isValidSignature(_ signature: some Collection<UInt8>, for message: [UInt8]) -> Bool {
        let signature = Array(signature)
        guard signature.count == 64, Self.isCanonicalScalar(signature[32...]), !Self.hasSmallOrder(rawRepresentation) else { return false }
        return key.isValidSignature(signature, for: message)
    }

    public static func == (lhs: PublicKey, rhs: PublicKey) -> Bool { lhs.rawRepresentation == rhs.rawRepresentation }
    public func hash(into hasher: inout Hasher) { hasher.combine(rawRepresentation) }

    /// The group order L = 2^252 + 27742317777372353535851937790883648493, little-endian.
    private static let order: [UInt8] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
    ]

    /// The encodings of the eight points of order 1, 2, 4 and 8, some also written as y + p, compared
    /// without the sign bit (as libsodium's `crypto_sign_verify` does).
    private static let smallOrderEncodings: [[UInt8]] = [
        [UInt8](repeating: 0, count: 32),
        [1] + [UInt8](repeating: 0, count: 31),
        [0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
         0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05],
        [0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
         0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a],
        [0xec] + [UInt8](repeating: 0xff, count: 30) + [0x7f],  // p - 1
        [0xed] + [UInt8](repeating: 0xff, count: 30) + [0x7f],  // p
        [0xee] + [UInt8](repeating: 0xff, count: 30) + [0x7f],  // p + 1
    ]

    /// Whether `bytes` encode a point of small order. Under such a key the signature (R = identity,
    /// S = 0) verifies for every message, or one in eight, whoever made it: a trusted key of this
    /// kind would let anyone mint invitations. swift-crypto accepts these signatures, so they are
    /// refused here. The keys themselves still read and write as PASERK (the official `k4.public`
    /// vectors use the all-zero key); no real signing key has one.
    static func hasSmallOrder(_ bytes: [UInt8]) -> Bool {
        smallOrderEncodings.contains { encoding in
            bytes[..<31].elementsEqual(encoding[..<31]) && bytes[31] & 0x7f == encoding[31]
        }
    }

    /// RFC 8032 §5.1.7: S must be below L, else S + L would be a second valid signature for the same token.
    static func isCanonicalScalar(_ s: ArraySlice<UInt8>) -> Bool {
        let base = s.startIndex
        for i in stride(from: 31, through: 0, by: -1) {
            let byte = s[base + i]
            if byte < order[i] { return true }
            if byte > order[i] { return false }
        }
        return false
    }
}
