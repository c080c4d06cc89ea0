#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Crypto
import TesseraCore

/// An Ed25519 secret key that signs v4.public tokens. Only `tessera` links this type.
public struct SigningKey: Sendable {
    let privateKey: Curve25519.Signing.PrivateKey
    /// The public half, which verifiers trust.
    public let publicKey: PublicKey

    /// Why secret key material could not be read.
    public enum ImportError: Error, Equatable, Sendable {
        /// Not a `k4.secret` PASERK of 64 bytes (wrong version, length or encoding).
        case invalidPASERK
        /// The public half of a `k4.secret` does not belong to its seed: signing with it would leak the key.
        case publicKeyMismatch
        /// Not a PKCS#8 Ed25519 `PRIVATE KEY` PEM document.
        case invalidPEM
    }

    /// A fresh random key.
    public init() {
        self.init(privateKey: Curve25519.Signing.PrivateKey())
    }

    /// The key for a 32-byte RFC 8032 seed.
    public init?(seed: [UInt8]) {
        guard seed.count == 32, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else { return nil }
        self.init(privateKey: key)
    }

    private init(privateKey: Curve25519.Signing.PrivateKey) {
        self.privateKey = privateKey
        // The bytes come straight from swift-crypto, so they are always a valid key.
        publicKey = PublicKey(rawRepresentation: Array(privateKey.publicKey.rawRepresentation))!
    }

    /// Reads a `k4.secret.` PASERK (seed ‖ public key), refusing one whose public half does not match its seed.
    public init(paserk text: some StringProtocol) throws(ImportError) {
        guard let bytes = PASERK.decode(text, prefix: PASERK.secretPrefix, length: 64),
              let key = SigningKey(seed: Array(bytes[..<32]))
        else { throw .invalidPASERK }
        guard key.publicKey.rawRepresentation == Array(bytes[32...]) else { throw .publicKeyMismatch }
        self = key
    }

    /// PKCS#8 v1 prefix for Ed25519 (RFC 8410), as `openssl genpkey -algorithm ed25519` writes it.
    static let pkcs8Prefix: [UInt8] = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]
    /// PKCS#8 v2 (OneAsymmetricKey) prefix, followed by the seed and `[1]` holding the public key.
    static let pkcs8V2Prefix: [UInt8] = [0x30, 0x51, 0x02, 0x01, 0x01, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]

    /// Reads a PKCS#8 `PRIVATE KEY` PEM document holding an Ed25519 key (v1, or v2 with a matching public key).
    public init(pem text: String) throws(ImportError) {
        guard let (label, der) = try? PEM.decode(text), label == "PRIVATE KEY" else { throw .invalidPEM }
        if der.count == 48, der.starts(with: Self.pkcs8Prefix), let key = SigningKey(seed: Array(der[16...])) {
            self = key
        } else if der.count == 83, der.starts(with: Self.pkcs8V2Prefix), der[48...50] == [0x81, 0x21, 0x00],
                  let key = SigningKey(seed: Array(der[16..<48])) {
            guard key.publicKey.rawRepresentation == Array(der[51...]) else { throw .publicKeyMismatch }
            self = key
        } else {
            throw .invalidPEM
        }
    }

    /// The 32-byte seed. Secret: never print it unless the user asked.
    public var seed: [UInt8] { Array(privateKey.rawRepresentation) }

    /// The `k4.secret.` PASERK. Secret.
    public var paserk: String { PASERK.secretPrefix + Base64URL.encode(seed + publicKey.rawRepresentation) }

    /// The `k4.sid.` id of this key: safe to show.
    public var secretID: String { PASERK.id(header: PASERK.secretIDPrefix, of: paserk) }

    /// The PKCS#8 `PRIVATE KEY` PEM document, readable by `openssl pkey`. Secret.
    public var pemRepresentation: String { PEM.encode(Self.pkcs8Prefix + seed, label: "PRIVATE KEY") }

    /// A detached Ed25519 signature (deterministic, RFC 8032).
    public func signature(for message: [UInt8]) -> [UInt8] {
        // swift-crypto only fails here on allocation failure in BoringSSL.
        Array(try! privateKey.signature(for: message))
    }
}
