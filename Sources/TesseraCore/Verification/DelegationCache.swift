import Crypto
import Synchronization

/// A bounded memory of delegations whose root signatures already verified, so that a verifier
/// checks one signature per token, not two, once a project admin's delegation has been seen.
///
/// Entries are keyed by the SHA-256 of the delegation token, so the cache holds no token and
/// a lookup cannot be steered by a chosen prefix. Only what does not depend on time or lists
/// is kept (format, root signature, claims); expiry and revocation are checked on every use.
/// Each entry remembers the root key that signed it, and counts only while the verifier's
/// keyring still holds that very key, so removing a root takes effect at once. When full,
/// the oldest entry is dropped.
public final class DelegationCache: Sendable {
    /// The most entries held.
    public let capacity: Int

    private struct Entry: Sendable {
        let delegation: VerifiedDelegation
        let signer: PublicKey
    }

    private let storage: Mutex<BoundedMemory<Entry>>

    /// A cache of at most `capacity` delegations (a site has a few; 1024 leaves room for many).
    public init(capacity: Int = 1024) {
        self.capacity = max(0, capacity)
        storage = Mutex(BoundedMemory(capacity: capacity))
    }

    static func key(for token: [UInt8]) -> SHA256Digest { SHA256.hash(data: token) }

    /// The delegation verified under `keyring`, if it was verified with a key the keyring still trusts.
    func value(for key: SHA256Digest, keyring: Keyring) -> VerifiedDelegation? {
        guard let entry = storage.withLock({ $0[key] }), keyring[entry.delegation.signer] == entry.signer else { return nil }
        return entry.delegation
    }

    /// Remembers a verified delegation, dropping the oldest entry when full.
    func insert(_ delegation: VerifiedDelegation, signer: PublicKey, for key: SHA256Digest) {
        storage.withLock { $0.insert(Entry(delegation: delegation, signer: signer), for: key) }
    }

    /// Entries held.
    public var count: Int { storage.withLock { $0.count } }
}
